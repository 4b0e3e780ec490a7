import type { Simulation } from '@chronovisor/core';
import {
  MemoryFault,
  MmuQuery,
  dispatchAccepted,
  read,
  write,
  type FaultRaised,
} from '@chronovisor/mmu';

/**
 * A guest's memory accesses, made again after a lazy fault as a CPU re-executes the faulting
 * instruction once the VMM has loaded the page: each access is a recorded `mmu.read` or
 * `mmu.write`, and a lazy fault (recorded, and answered by the snapshot-boot reactor) is followed
 * by the same access. Other faults throw {@link MemoryFault}.
 */
export class GuestMemory {
  private readonly pageSize: number;

  constructor(
    private readonly simulation: Simulation,
    private readonly actor = 'guest',
  ) {
    this.pageSize = simulation.get(MmuQuery).config.pageSize;
  }

  read(space: number, va: number, length: number): Uint8Array {
    for (let attempt = 0; ; attempt++) {
      const outcome = dispatchAccepted(this.simulation, read, { space, va, length }, this.actor);
      if (outcome.ok) return outcome.bytes;
      this.retry(outcome.fault, attempt, va, length);
    }
  }

  write(space: number, va: number, data: Uint8Array): void {
    for (let attempt = 0; ; attempt++) {
      const outcome = dispatchAccepted(this.simulation, write, { space, va, data }, this.actor);
      if (outcome.ok) return;
      this.retry(outcome.fault, attempt, va, data.length);
    }
  }

  /** A lazy fault is retried, once for each page the access spans; anything else is thrown. */
  private retry(fault: FaultRaised, attempt: number, va: number, length: number): void {
    const pages = Math.ceil(((va % this.pageSize) + length) / this.pageSize);
    if (fault.kind !== 'lazy' || attempt >= pages) throw new MemoryFault(fault);
  }
}
