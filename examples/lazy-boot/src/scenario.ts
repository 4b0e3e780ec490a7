import type { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  GuestMemory,
  SnapshotBootQuery,
  boot,
  capture,
  saveWorkingSet,
  type BootPolicy,
} from '@chronovisor/plugin-snapshot-boot';
import { PAGE, PROCESS_VA, buildFunctionVm, invocationPages } from './workload';

/**
 * A serverless function's VM is snapshotted after its first cold start, then booted from the
 * snapshot three ways for the same invocation (US9384007B2, and REAP's record-and-prefetch):
 * lazily (every first touch a fault), with the working set the lazy boot recorded (loaded in
 * bulk before the VM runs), and fully loaded. The summary compares their simulated boot times.
 */
export default function lazyBoot(sim: Simulation): void {
  sim.dispatch(mmu.createPartition, { name: 'builder', frames: 1100 }, { actor: 'vmm' });
  sim.dispatch(mmu.createPartition, { name: 'workers', frames: 2900 }, { actor: 'vmm' });
  const { vm } = buildFunctionVm(sim, 'builder');
  sim.dispatch(
    capture,
    { vm, name: 'function', vcpu: { pc: 0x40_1000 }, identity: { gpa: 0x1000, length: 16 } },
    { actor: 'vmm' },
  );

  const pages = invocationPages();
  const invoke = (policy: BootPolicy): number => {
    const booted = sim.dispatch(
      boot,
      { image: 'function', partition: 'workers', policy },
      { actor: 'vmm' },
    );
    if (!booted.ok) throw new Error(booted.rejection!.message);
    const { vm: clone, guests } = booted.value!;
    const memory = new GuestMemory(sim, `vm:${clone}/function`);
    for (const page of pages) memory.read(guests[0]!, PROCESS_VA + page * PAGE + 64, 8);
    return clone;
  };

  const lazy = invoke('lazy');
  sim.dispatch(saveWorkingSet, { vm: lazy }, { actor: 'vmm' }); // REAP's record phase
  invoke('working-set');
  invoke('full');
  const reports = sim.get(SnapshotBootQuery).vms();
  if (reports.some((r) => r.touched !== new Set(pages).size))
    throw new Error('an invocation did not touch its pages');
}
