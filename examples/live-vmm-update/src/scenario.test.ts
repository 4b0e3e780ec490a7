import { Simulation, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { VmmQuery, vmmUpdatePlugin, type VmmOptions } from '@chronovisor/plugin-vmm-update';
import { reexecute, replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import liveVmmUpdate from './scenario';

/** The example's plugin set, from its chronovisor.config.json, with VMM options changed. */
function plugins(options: Partial<VmmOptions> = {}) {
  const config = JSON.parse(
    readFileSync(path.join(__dirname, '../chronovisor.config.json'), 'utf8'),
  ) as { plugins: { options: object }[] };
  const [mmu, vmm] = config.plugins;
  return [mmuPlugin(mmu!.options), vmmUpdatePlugin({ ...vmm!.options, ...options })];
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-vmm-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(): { records: EventRecord[]; file: string; sim: Simulation } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, { manifest: { seed: 1 } });
  const sim = new Simulation({ plugins: plugins(), seed: 1, store, digestInterval: 20 });
  liveVmmUpdate(sim);
  sim.close();
  store.close();
  const reopened = SqliteStore.open(file, { readonly: true });
  const records = [...reopened.readEvents(1)];
  reopened.close();
  return { records, file, sim };
}

describe('the live VMM update example', () => {
  it('refuses the altered package, reverts the attempt a busy guest blocks, commits the next', () => {
    const { records, sim } = record();
    const of = (type: string) => records.filter((r) => r.type === type).map((r) => r.data);
    expect(of('vmm.package.refused')).toMatchObject([{ reason: 'payload-mismatch' }]);
    expect(of('vmm.update.reverted')).toMatchObject([
      { step: 'quiesce', reason: 'quiesce-timeout' },
    ]);
    const query = sim.get(VmmQuery);
    expect(query.vmm).toMatchObject({ version: '4.17.1', applied: ['xsa-457'] });
    expect(query.guests().every((g) => g.extensions.netfront === '2.1.0')).toBe(true);
    expect(query.stats().counts).toMatchObject({ committed: 1, reverted: 1, refused: 1 });
    // Maintenance: four requests served by the guest, three of them by its substitute meanwhile.
    const served = of('vmm.request.served') as { by: number; vm: number }[];
    expect(served.map((s) => s.by === s.vm)).toEqual([true, false, false, false, true]);
    // The NIC: six requests in, six out, in order, across two switches.
    const done = (of('vmm.io.completed') as { requests: number[] }[]).flatMap((c) => c.requests);
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('replays to the same digests, re-executes identically, and seeks through the run', () => {
    const { file, sim } = record();
    const run = SqliteStore.open(file, { readonly: true });
    expect(replayState(run, plugins(), { seed: 1 })).toMatchObject({
      ok: true,
      finalDigest: sim.digest(),
    });
    expect(reexecute(run, plugins(), { seed: 1 }).identical).toBe(true);
    // A costlier commit changes the blackout the commit records: the first divergence.
    const slower = reexecute(run, plugins({ commitMicros: 900 }), { seed: 1 });
    expect(slower.divergence!.recorded).toMatchObject({
      type: 'vmm.update.step',
      data: { step: 'commit' },
    });
    const timeline = new Timeline(run, plugins(), { seed: 1, snapshotEvery: 30 });
    const commit = [...run.readEvents(1)].find(
      (r) => r.type === 'vmm.update.step' && (r.data as { step: string }).step === 'commit',
    )!.seq;
    timeline.seek(commit - 1);
    expect(timeline.get(VmmQuery).vmm!.version).toBe('4.17.0');
    timeline.seek(commit);
    expect(timeline.get(VmmQuery).vmm!.version).toBe('4.17.1');
    timeline.seek(timeline.head);
    expect(timeline.projectionDigests()).toEqual(sim.projectionDigests());
    run.close();
  });
});
