import { Simulation, Xoshiro128StarStar, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { ProcQuery, checkpointPlugin } from '@chronovisor/plugin-checkpoint';
import { OverlayQuery, globalOverlayPlugin } from '@chronovisor/plugin-global-overlay';
import { LeverageQuery, guestLeveragePlugin } from '@chronovisor/plugin-guest-leverage';
import { HandlesQuery, handlesPlugin } from '@chronovisor/plugin-handles';
import { HeapQuery, heapPlugin } from '@chronovisor/plugin-heap';
import { SnapshotBootQuery, snapshotBootPlugin } from '@chronovisor/plugin-snapshot-boot';
import { VmmQuery, vmmUpdatePlugin } from '@chronovisor/plugin-vmm-update';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import quickstart from './scenario';

/** The publisher keys the quickstart's config trusts. */
const trusted = (
  JSON.parse(readFileSync(path.join(__dirname, '../chronovisor.config.json'), 'utf8')) as {
    plugins: { name: string; options?: { trustedKeys?: Record<string, string> } }[];
  }
).plugins.find((p) => p.name === '@chronovisor/plugin-vmm-update')!.options!.trustedKeys!;

/** The quickstart on its config's plugin set (chronovisor.config.json), with seed `seed`. */
function run(seed: number): Simulation {
  const sim = new Simulation({
    plugins: [
      mmuPlugin({ frames: 4096, tlb: { entries: 64, policy: 'lru' } }),
      heapPlugin({ policy: 'best-fit', tagBits: 8 }),
      handlesPlugin({ reuse: 'lifo', identifierBits: 8 }),
      snapshotBootPlugin({ policy: 'lazy' }),
      checkpointPlugin({}),
      vmmUpdatePlugin({ trustedKeys: trusted }),
      guestLeveragePlugin(),
      globalOverlayPlugin(),
    ],
    seed,
  });
  quickstart(sim, { rng: new Xoshiro128StarStar(seed) });
  sim.close();
  return sim;
}

describe('the quickstart', () => {
  it('tells its heap story: a write through a stale pointer, stopped, naming the free behind it and what lives there now', () => {
    const sim = run(1);
    const records = [...sim.store.read(1)];
    // The first; the second is the restored server's (below).
    const [violation, , ...others] = sim.get(HeapQuery).violations();
    expect(others).toEqual([]);
    expect(violation).toMatchObject({ kind: 'use-after-free', op: 'store' });
    // Who freed it: the free's event, caused by a heap.free another process issued.
    const free = records.find((r) => r.seq === violation!.freed!.freeSeq) as EventRecord;
    expect(free).toMatchObject({ type: 'heap.block.freed', data: { ptr: violation!.ptr } });
    expect(records.find((r) => r.seq === free.cause)).toMatchObject({
      type: 'heap.free',
      actor: 'host:proc:1',
    });
    // The block allocated since in that memory, and the write stopped where it was made.
    expect(violation!.block).toMatchObject({ address: violation!.freed!.address });
    expect(records.find((r) => r.seq === violation!.seq)).toMatchObject({ actor: 'host:init' });
  });

  it('tells its handle story: a handle used after its close is refused as stale, naming the close', () => {
    const sim = run(1);
    const records = [...sim.store.read(1)];
    const refused = records.filter((r) => r.type === 'handles.handle.rejected');
    expect(refused).toHaveLength(1);
    const rejection = refused[0] as EventRecord;
    expect(rejection).toMatchObject({
      actor: 'host:init',
      data: { reason: 'stale', op: 'resolve', identifier: 0, entry: { identifier: 1 } },
    });
    // The close that made it stale, by another part of the program.
    const { handle } = rejection.data as { handle: number };
    const closed = records.find(
      (r) =>
        r.type === 'handles.handle.closed' &&
        (r as EventRecord).data &&
        (r as EventRecord<{ handle: number }>).data.handle === handle,
    ) as EventRecord;
    expect(records.find((r) => r.seq === closed.cause)).toMatchObject({ actor: 'host:proc:1' });
    // The log lives on in the migrated process, through the duplicated handle.
    const [, target] = sim.get(HandlesQuery).tables();
    expect(sim.get(HandlesQuery).handles(target!.space)).toMatchObject([
      { type: 'file', name: '/var/log/app.log' },
    ]);
  });

  it('boots a clone of its VM lazily: only the pages its guest touches are loaded', () => {
    const sim = run(1);
    const [clone] = sim.get(SnapshotBootQuery).vms();
    expect(clone).toMatchObject({ policy: 'lazy', prefetched: 0, faults: 1, touched: 1 });
    const loaded = [...sim.store.read(1)].filter((r) => r.type === 'snapshot.page.loaded');
    expect(loaded).toMatchObject([
      { actor: 'plugin:snapshot', data: { cause: 'fault', gpa: 0x8000 } },
    ]);
  });

  it('restores its server tree in a second namespace, and migrates a job there without copying', () => {
    const sim = run(1);
    const query = sim.get(ProcQuery);
    const identities = (domain: string) =>
      query
        .processes(domain)
        .map(({ pid, ppid, pgid, sid, state }) => ({ pid, ppid, pgid, sid, state }));
    expect(identities('web2').slice(0, 3)).toEqual(identities('web'));
    expect(query.stats().counts).toMatchObject({
      checkpoints: 1,
      restores: 1,
      remaps: 1,
      bytesCopied: 0,
    });
    // Its heap came with it: the stale pointer it kept is caught in the restored server too,
    // naming the free made before the checkpoint, in the first namespace.
    const server = query.processes('web')[0]!;
    const restored = query.process('web2', server.pid)!;
    const caught = sim.get(HeapQuery).violations().at(-1)!;
    expect(caught).toMatchObject({ kind: 'use-after-free', op: 'load', space: restored.space });
    const records = [...sim.store.read(1)];
    const free = records.find((r) => r.seq === caught.freed!.freeSeq) as EventRecord;
    expect(free).toMatchObject({ type: 'heap.block.freed', data: { space: server.space } });
    expect(free.seq).toBeLessThan(records.find((r) => r.type === 'proc.checkpoint')!.seq);
  });

  it('updates its VMM live from the VM: the new version, hypercalls and driver', () => {
    const sim = run(1);
    const query = sim.get(VmmQuery);
    expect(query.vmm).toMatchObject({ version: '4.17.1', applied: ['xsa-457'] });
    expect(query.guests()).toMatchObject([{ extensions: { netfront: '2.1.0' } }]);
    const steps = [...sim.store.read(1)].filter((r) => r.type === 'vmm.update.step');
    expect(steps).toHaveLength(6);
  });

  it("filters the host's packets in the VM: one dropped, two returned, all accounted for", () => {
    const [chain] = run(1).get(LeverageQuery).chains();
    expect(chain).toMatchObject({
      balanced: true,
      counts: { received: 3, returned: 2, dropped: 1 },
    });
  });

  it('runs two versions of a program over one shared data segment: the common global shared', () => {
    const [srv] = run(1).get(OverlayQuery).programs();
    expect(srv!.slots.map((s) => [s.name, s.users])).toEqual([
      ['counter', ['v1', 'v2']],
      ['errors', ['v2']],
    ]);
  });

  it('refuses the isolation violation, and draws its traffic from the seed', () => {
    const sim = run(1);
    const refused = [...sim.store.read(1)].filter((r) => r.type === 'mmu.isolation.violated');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ actor: 'host:snoop' });
    expect(run(7).digest()).not.toBe(sim.digest());
    expect(run(1).digest()).toBe(sim.digest());
  });
});
