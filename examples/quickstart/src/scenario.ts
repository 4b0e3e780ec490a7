import type { Rng, Simulation } from '@chronovisor/core';
import { MemoryClient } from '@chronovisor/mmu';
import { HandlesClient } from '@chronovisor/plugin-handles';
import * as proc from '@chronovisor/plugin-checkpoint';
import * as overlay from '@chronovisor/plugin-global-overlay';
import * as leverage from '@chronovisor/plugin-guest-leverage';
import * as snapshot from '@chronovisor/plugin-snapshot-boot';
import * as vmmUpdate from '@chronovisor/plugin-vmm-update';
import { GuestMemory } from '@chronovisor/plugin-snapshot-boot';
import { HeapClient } from '@chronovisor/plugin-heap';
import * as mmu from '@chronovisor/mmu';

const PAGE = 4096;

const readU64 = (bytes: Uint8Array): bigint =>
  new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);

/**
 * The quickstart (each plugin that lands adds its part): two partitions, a VM with a guest
 * process (two-stage translation), a live update of the VMM driven from the VM, host packets
 * filtered by a module in the VM, a host process forked copy-on-write, a migration by
 * remapping, a snapshot of the VM booted lazily as a clone, a tagged heap catching a use after
 * free, a process tree checkpointed, restored and migrated by remapping, a handle table refusing
 * a handle used
 * after its close, and an isolation violation, then a burst
 * of recorded memory traffic, drawn from the scenario's RNG (seeded by the run's `--seed`).
 */
export default function quickstart(sim: Simulation, { rng }: { rng: Rng }): void {
  const ok = <V>(
    type: string,
    result: { ok: boolean; value?: V; rejection?: { message: string } },
  ): V => {
    if (!result.ok) throw new Error(`${type} was refused: ${result.rejection!.message}`);
    return result.value as V;
  };
  const host = new MemoryClient(sim, 'host:init');
  const asInit = { actor: 'host:init' };

  // Two partitions: the host's, and one for a VM (US7376949B2's partitioned machine).
  ok('mmu.create-partition', sim.dispatch(mmu.createPartition, { name: 'host', frames: 1024 }));
  ok('mmu.create-partition', sim.dispatch(mmu.createPartition, { name: 'vm1', frames: 1024 }));

  // A VM: guest-physical RAM backed by host frames (stage 2), a guest process on top (stage 1).
  const vm = ok(
    'mmu.create-space',
    sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'vm1' }, { actor: 'vmm' }),
  );
  ok('mmu.map', sim.dispatch(mmu.map, { space: vm, va: 0, pages: 64 }, { actor: 'vmm' }));
  const guest = ok(
    'mmu.create-space',
    sim.dispatch(mmu.createSpace, { kind: 'guest', vm }, { actor: 'vm:1/kernel' }),
  );
  ok(
    'mmu.map',
    sim.dispatch(
      mmu.map,
      { space: guest, va: 0x40_0000, pages: 16, to: 0x8000 },
      { actor: 'vm:1/kernel' },
    ),
  );
  const guestMemory = new MemoryClient(sim, 'vm:1/proc:1');
  guestMemory.writeU64(guest, 0x40_0010, 0x1234_5678n);
  // A page the VMM has not backed: the guest's access faults to the VMM (stage 2).
  ok(
    'mmu.map',
    sim.dispatch(
      mmu.map,
      { space: guest, va: 0x50_0000, pages: 1, to: 0x100_000 },
      { actor: 'vm:1/kernel' },
    ),
  );
  sim.dispatch(mmu.read, { space: guest, va: 0x50_0000, length: 8 }, { actor: 'vm:1/proc:1' });

  // Snapshot boot (US9384007B2): the VM captured, and a clone booted from the image with its
  // memory mapped lazily; the clone's guest reads its value back, loading one page on the fault.
  ok(
    'snapshot.capture',
    sim.dispatch(snapshot.capture, { vm, name: 'vm1', vcpu: { pc: 0x40_1000 } }, { actor: 'vmm' }),
  );
  const clone = ok(
    'snapshot.boot',
    sim.dispatch(snapshot.boot, { image: 'vm1', partition: 'vm1' }, { actor: 'vmm' }),
  );
  const cloneMemory = new GuestMemory(sim, 'vm:2/proc:1');
  if (readU64(cloneMemory.read(clone.guests[0]!, 0x40_0010, 8)) !== 0x1234_5678n)
    throw new Error("the clone did not read the captured VM's value");

  // A live VMM update driven from the VM (US20080189697A1): its updater hands the VMM a signed
  // package; the VMM verifies it, stages the new code, updates the VM's netfront driver,
  // quiesces, and commits, without touching guest memory.
  const vmmAdmin = { actor: 'vmm' };
  ok(
    'mmu.create-partition',
    sim.dispatch(mmu.createPartition, { name: 'vmm', frames: 64 }, vmmAdmin),
  );
  ok(
    'vmm.install',
    sim.dispatch(
      vmmUpdate.install,
      {
        partition: 'vmm',
        version: '4.17.0',
        hypercalls: ['vcpu_op', 'memory_op'],
        compatible: { netfront: '^2.0.0' },
      },
      vmmAdmin,
    ),
  );
  ok(
    'vmm.attach',
    sim.dispatch(vmmUpdate.attach, { vm, extensions: { netfront: '2.0.0' } }, vmmAdmin),
  );
  const payload = new TextEncoder().encode('VMM 4.17.1');
  const manifest: vmmUpdate.UpdateManifest = {
    format: 1,
    id: 'xsa-457',
    vmm: { from: '4.17.0', to: '4.17.1' },
    hypercalls: ['vcpu_op', 'memory_op', 'livepatch_op'],
    extensions: { netfront: '2.1.0' },
    compatible: { netfront: '^2.0.0' },
    requires: [],
    payload: vmmUpdate.describePayload(payload),
  };
  const publisher = vmmUpdate.privateKeyFromSeed(new Uint8Array(32).fill(0x51));
  const signed = vmmUpdate.encodePackage(
    vmmUpdate.signPackage(manifest, payload, 'ops', publisher),
  );
  const updated = ok(
    'vmm.update',
    sim.dispatch(vmmUpdate.update, { from: vm, package: signed }, { actor: 'vm:1/updater' }),
  );
  if (!updated.ok) throw new Error(`the VMM update did not commit: ${updated.message}`);

  // Host I/O leveraging a guest module (US20070294690A1): the host NIC's incoming packets are
  // intercepted by a filter in the VM before the host's stack sees them; one is dropped.
  ok(
    'leverage.chain',
    sim.dispatch(
      leverage.createChain,
      { name: 'ingress', vm, partition: 'host', modules: [{ kind: 'filter', pattern: 'attack' }] },
      vmmAdmin,
    ),
  );
  ok('leverage.nic', sim.dispatch(leverage.attachNic, { nic: 'eth0', chain: 'ingress' }, vmmAdmin));
  for (const packet of ['GET /', 'attack!', 'bye'])
    ok(
      'leverage.receive',
      sim.dispatch(
        leverage.receive,
        { nic: 'eth0', data: new TextEncoder().encode(packet) },
        { actor: 'nic:eth0' },
      ),
    );
  ok('leverage.run', sim.dispatch(leverage.run, { chain: 'ingress' }, { actor: 'vm:1/filter' }));

  // A host process, forked copy-on-write; the child's first write copies one frame.
  const parent = ok(
    'mmu.create-space',
    sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }, { actor: 'host:init' }),
  );
  ok(
    'mmu.map',
    sim.dispatch(mmu.map, { space: parent, va: 0x1000_0000, pages: 32 }, { actor: 'host:init' }),
  );
  host.writeU32(parent, 0x1000_0000, 0xfeed);
  const child = ok('mmu.fork', sim.dispatch(mmu.fork, { space: parent }, { actor: 'host:init' }));
  new MemoryClient(sim, 'host:proc:2').writeU32(child, 0x1000_0000, 0xbeef);

  // Migration by remapping: the child's heap moves to a new process without a copy.
  const target = ok(
    'mmu.create-space',
    sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }, { actor: 'host:init' }),
  );
  ok(
    'mmu.remap',
    sim.dispatch(
      mmu.remap,
      { from: child, va: 0x1000_0000, pages: 32, to: target, toVa: 0x2000_0000 },
      { actor: 'host:migrator' },
    ),
  );

  // A heap in the first process (US12292828B2): tagged pointers, allocation info kept out of
  // band, and a write through a stale pointer stopped and traced back to the free behind it.
  const heap = new HeapClient(sim, parent, 'host:init');
  const nodes = Array.from({ length: 8 }, (_, i) => heap.malloc(48 + 16 * i));
  heap.store(nodes[3]!, Uint8Array.of(1, 2, 3, 4));
  new HeapClient(sim, parent, 'host:proc:1').free(nodes[3]!); // the free the violation names
  heap.malloc(96); // takes the freed block's memory: the stale pointer now points into it
  sim.dispatch(
    'heap.store',
    { space: parent, ptr: nodes[3]!, data: Uint8Array.of(9) },
    { actor: 'host:init' },
  );

  // A handle table in the first process (US7031971B1, US7403887B1): each handle carries its
  // slot's identifier, so a handle kept after its close is refused, not resolved to the file
  // that took its slot.
  const handles = new HandlesClient(sim, parent, 'host:init');
  const log = handles.create('file', '/var/log/app.log');
  const ready = handles.create('event', 'ready');
  handles.duplicate(log, target); // the migrated process writes to the same log
  new HandlesClient(sim, parent, 'host:proc:1').close(log); // the close the refusal names
  handles.create('file', '/tmp/scratch'); // takes the log's slot, with the next identifier
  sim.dispatch(
    'handles.resolve',
    { space: parent, handle: log, type: 'file' },
    { actor: 'host:init' },
  );
  handles.resolve(ready, 'event');

  // Checkpoint/restore (US7275183B2, CRIU): a server and its forked workers, sharing a log pipe,
  // checkpointed and restored in a second pid namespace; then a batch job migrated there by
  // remapping its frames (US7512769B1): no byte copied.
  ok('proc.domain', sim.dispatch(proc.createDomain, { name: 'web', partition: 'host' }, asInit));
  ok('proc.domain', sim.dispatch(proc.createDomain, { name: 'web2', partition: 'host' }, asInit));
  const server = ok(
    'proc.spawn',
    sim.dispatch(proc.spawn, { domain: 'web', pages: 4, session: true }, asInit),
  );
  // The server's heap goes with it: a session it freed, whose pointer it kept.
  const procs = sim.get(proc.ProcQuery);
  const serverHeap = new HeapClient(sim, procs.process('web', server)!.space, 'web:server');
  const session = serverHeap.malloc(64);
  serverHeap.free(session);
  ok('proc.pipe', sim.dispatch(proc.pipe, { domain: 'web', pid: server }, asInit));
  for (let i = 0; i < 2; i++)
    ok('proc.fork', sim.dispatch(proc.fork, { domain: 'web', pid: server }, asInit));
  ok(
    'proc.checkpoint',
    sim.dispatch(proc.checkpoint, { domain: 'web', root: server, name: 'web' }, asInit),
  );
  ok('proc.restore', sim.dispatch(proc.restore, { image: 'web', domain: 'web2' }, asInit));
  // Restored, it still catches the stale pointer, naming the free from before the checkpoint.
  sim.dispatch(
    'heap.load',
    { space: procs.process('web2', server)!.space, ptr: session, length: 8 },
    { actor: 'web2:server' },
  );
  const job = ok(
    'proc.spawn',
    sim.dispatch(proc.spawn, { domain: 'web', pages: 8, session: true }, asInit),
  );
  ok(
    'proc.migrate',
    sim.dispatch(proc.migrate, { domain: 'web', pid: job, to: 'web2', mode: 'remap' }, asInit),
  );

  // A live update over a global-variable overlay (US10528479B2): version 2 loads beside version 1,
  // their common global in the same physical bytes, an added one in new bytes.
  const counter = { name: 'counter', type: 'int', size: 4, initial: Uint8Array.of(5, 0, 0, 0) };
  ok(
    'overlay.load',
    sim.dispatch(
      overlay.load,
      { program: 'srv', version: 'v1', partition: 'host', globals: [counter] },
      asInit,
    ),
  );
  ok(
    'overlay.load',
    sim.dispatch(
      overlay.load,
      {
        program: 'srv',
        version: 'v2',
        partition: 'host',
        globals: [counter, { name: 'errors', type: 'int', size: 4 }],
      },
      asInit,
    ),
  );
  ok(
    'overlay.write',
    sim.dispatch(
      overlay.write,
      { program: 'srv', version: 'v1', global: 'counter', data: Uint8Array.of(6, 0, 0, 0) },
      asInit,
    ),
  );

  // An isolation violation: the host tries to map the VM's memory without it being exported.
  sim.dispatch(
    mmu.share,
    { from: vm, va: 0, pages: 1, to: parent, toVa: 0x3000_0000 },
    { actor: 'host:snoop' },
  );

  // Traffic: the guest and the host read and write at random (some faults, many TLB hits).
  const data = new Uint8Array(8);
  for (let i = 0; i < 20_000; i++) {
    const inGuest = rng.nextUint32() & 1;
    const space = inGuest ? guest : target;
    const base = inGuest ? 0x40_0000 : 0x2000_0000;
    const va = base + rng.nextInt(0, 17) * PAGE + rng.nextInt(0, 511) * 8;
    const actor = inGuest ? 'vm:1/proc:1' : 'host:proc:3';
    if (rng.nextUint32() & 1) {
      data[0] = i & 0xff;
      sim.dispatch(mmu.write, { space, va, data }, { actor });
    } else sim.dispatch(mmu.read, { space, va, length: 8 }, { actor });
  }
}
