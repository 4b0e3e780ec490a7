import type { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import * as vmm from '@chronovisor/plugin-vmm-update';
import { securityFix } from './packages';

/**
 * A VMM updated live from an updater inside a guest (US20080189697A1), as Xen's livepatch does:
 * a package altered in transit is refused before anything changes; the first real attempt is
 * reverted when a guest in a long I/O never quiesces; the second commits, extensions and all,
 * without touching guest memory. Then a VM is maintained while a substitute instance serves its
 * requests (US7451443B2), and a NIC is devirtualized at runtime with I/O in flight (US7793287B2).
 */
export default function liveVmmUpdate(sim: Simulation): void {
  const ok = <T>(result: { ok: boolean; value?: T; rejection?: { message: string } }): T => {
    if (!result.ok) throw new Error(result.rejection!.message);
    return result.value as T;
  };
  const admin = { actor: 'admin' };
  ok(sim.dispatch(mmu.createPartition, { name: 'vmm', frames: 256 }, admin));
  ok(sim.dispatch(mmu.createPartition, { name: 'guests', frames: 1024 }, admin));
  ok(sim.dispatch(mmu.createPartition, { name: 'standby', frames: 512 }, admin));
  ok(
    sim.dispatch(
      vmm.install,
      {
        partition: 'vmm',
        version: '4.17.0',
        hypercalls: ['vcpu_op', 'memory_op', 'event_channel_op'],
        compatible: { netfront: '^2.0.0', blkfront: '^1.0.0' },
      },
      admin,
    ),
  );
  const vms = [0, 1].map((i) => {
    const vm = ok(sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'guests' }, admin));
    ok(sim.dispatch(mmu.map, { space: vm, va: 0, pages: 128 }, admin));
    ok(
      sim.dispatch(
        mmu.write,
        { space: vm, va: 0, data: new TextEncoder().encode(`guest ${i}`) },
        { actor: `vm:${vm}` },
      ),
    );
    ok(
      sim.dispatch(vmm.attach, { vm, extensions: { netfront: '2.0.0', blkfront: '1.2.0' } }, admin),
    );
    return vm;
  });
  const [dom0, guest] = [vms[0]!, vms[1]!];
  const updater = { actor: `vm:${dom0}/updater` };

  // Altered in transit: one byte of the payload flipped. Refused, nothing changed.
  const altered = securityFix();
  altered[altered.length - 100]! ^= 0x01; // inside the payload (before the key id and signature)
  ok(sim.dispatch(vmm.update, { from: dom0, package: altered }, updater));

  // A guest in a long I/O never quiesces: the update times out and reverts.
  ok(sim.dispatch(vmm.busy, { vm: guest, busy: true }, { actor: `vm:${guest}` }));
  ok(sim.dispatch(vmm.update, { from: dom0, package: securityFix() }, updater));
  ok(sim.dispatch(vmm.busy, { vm: guest, busy: false }, { actor: `vm:${guest}` }));
  const committed = ok(sim.dispatch(vmm.update, { from: dom0, package: securityFix() }, updater));
  if (!committed.ok) throw new Error(`the update did not commit: ${committed.message}`);

  // Maintenance: a substitute in the standby partition serves the guest's requests meanwhile.
  const client = { actor: 'client' };
  ok(sim.dispatch(vmm.serve, { vm: guest }, client));
  ok(sim.dispatch(vmm.maintainBegin, { vm: guest, partition: 'standby' }, admin));
  for (let i = 0; i < 3; i++) ok(sim.dispatch(vmm.serve, { vm: guest }, client));
  ok(sim.dispatch(vmm.maintainEnd, { vm: guest }, admin));
  ok(sim.dispatch(vmm.serve, { vm: guest }, client));

  // A passed-through NIC devirtualized with requests in flight, then given back.
  ok(sim.dispatch(vmm.deviceAdd, { vm: guest, device: 'nic', mode: 'passthrough' }, admin));
  const io = { actor: `vm:${guest}/net` };
  for (let i = 0; i < 4; i++) ok(sim.dispatch(vmm.io, { vm: guest, device: 'nic' }, io));
  ok(sim.dispatch(vmm.ioComplete, { vm: guest, device: 'nic', count: 1 }, io));
  ok(sim.dispatch(vmm.deviceSwitch, { vm: guest, device: 'nic', mode: 'mediated' }, admin));
  for (let i = 0; i < 2; i++) ok(sim.dispatch(vmm.io, { vm: guest, device: 'nic' }, io));
  ok(sim.dispatch(vmm.ioComplete, { vm: guest, device: 'nic', count: 4 }, io));
  ok(sim.dispatch(vmm.deviceSwitch, { vm: guest, device: 'nic', mode: 'passthrough' }, admin));
  ok(sim.dispatch(vmm.ioComplete, { vm: guest, device: 'nic', count: 1 }, io));
}
