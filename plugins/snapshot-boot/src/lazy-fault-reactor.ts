import type { Reactor } from '@chronovisor/core';
import { react } from '@chronovisor/core';
import { MmuConfig, faultRaised } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { faultIn } from './snapshot-commands';
import { SnapshotBootState } from './snapshot-state';

/**
 * The VMM's stage-2 fault handler for booted VMs (Firecracker's userfaultfd handler): a lazy fault
 * in a booted VM, or in one of its guest processes, loads the page from the image. The access
 * that faulted is then made again, as a CPU re-executes the faulting instruction.
 */
export class LazyFaultReactor implements Reactor {
  readonly actor = 'plugin:snapshot';
  private readonly pageSize: number;

  constructor(
    @inject(SnapshotBootState) private readonly state: SnapshotBootState,
    @inject(MmuConfig) mmu: MmuConfig,
  ) {
    this.pageSize = mmu.pageSize;
  }

  readonly reactions = [
    react(faultRaised, ({ data }, context) => {
      if (data.kind !== 'lazy') return;
      const vm = this.state.vmOf(data.space);
      if (vm === undefined) return;
      const at = vm === data.space ? data.va : data.gpa;
      if (at === undefined) return;
      context.dispatch(faultIn, { vm, gpa: at - (at % this.pageSize) });
    }),
  ];
}
