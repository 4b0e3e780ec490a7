import { NullStore, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  BOOT_POLICIES,
  GuestMemory,
  SnapshotBootQuery,
  boot,
  capture,
  saveWorkingSet,
  snapshotBootPlugin,
  type BootPolicy,
  type BootReport,
} from '@chronovisor/plugin-snapshot-boot';
import { PAGE, PROCESS_VA, buildFunctionVm, invocationPages } from '@chronovisor/example-lazy-boot';
import { figure, type Figure } from '../figure';

/**
 * Each boot policy on the same image and invocation (examples/lazy-boot's function: a 4 MiB VM,
 * ~100 pages touched): pages loaded before the VM runs, faults, and simulated boot time, beside
 * full loading of the same image in the same run.
 */
export function snapshotBootSuite(): Figure[] {
  const sim = new Simulation({
    plugins: [mmu.mmuPlugin({ frames: 8192 }), snapshotBootPlugin()],
    seed: 1,
    store: new NullStore(),
  });
  sim.dispatch(mmu.createPartition, { name: 'builder', frames: 1100 });
  sim.dispatch(mmu.createPartition, { name: 'workers', frames: 7000 });
  const { vm } = buildFunctionVm(sim, 'builder');
  sim.dispatch(capture, { vm, name: 'function' });
  const pages = invocationPages();
  const reports = new Map<BootPolicy, BootReport>();
  const invoke = (policy: BootPolicy): number => {
    const { vm: clone, guests } = sim.dispatch(boot, {
      image: 'function',
      partition: 'workers',
      policy,
    }).value!;
    const memory = new GuestMemory(sim);
    for (const page of pages) memory.read(guests[0]!, PROCESS_VA + page * PAGE, 8);
    reports.set(policy, sim.get(SnapshotBootQuery).report(clone)!);
    return clone;
  };
  sim.dispatch(saveWorkingSet, { vm: invoke('lazy') });
  invoke('working-set');
  invoke('full');
  const full = reports.get('full')!;
  return BOOT_POLICIES.map((policy) => {
    const r = reports.get(policy)!;
    return figure({
      suite: 'snapshot-boot',
      name: `${policy}: simulated boot time to the end of one invocation`,
      value: r.bootMicros / 1000,
      unit: 'ms',
      lowerIsBetter: true,
      baseline: { name: 'full loading of the same image', value: full.bootMicros / 1000 },
      detail:
        `${r.prefetched} pages loaded before start (${(r.startMicros / 1000).toFixed(2)} ms), ${r.faults} faults ` +
        `(${(r.stallMicros / 1000).toFixed(2)} ms), ${r.touched} of ${r.pages} pages touched` +
        (policy === 'working-set'
          ? `; precision ${(r.precision * 100).toFixed(0)}%, recall ${(r.recall * 100).toFixed(0)}%; ` +
            `${(reports.get('lazy')!.bootMicros / r.bootMicros).toFixed(2)}× faster than lazy (REAP: 3.7×)`
          : ''),
    });
  });
}
