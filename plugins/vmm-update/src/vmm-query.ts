import type { Query } from '@chronovisor/core';
import { MmuQuery } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { VmmConfig } from './vmm-options';
import {
  VmmState,
  type Guest,
  type UpdateCounts,
  type UpdateInFlight,
  type Vmm,
} from './vmm-state';

/** The VMM, its guests and its updates at a glance. */
export interface VmmStats {
  readonly vmm?: Vmm;
  readonly guests: readonly Guest[];
  readonly update?: UpdateInFlight;
  readonly counts: UpdateCounts;
}

/** The VMM-update plugin's read-only face. */
export class VmmQuery implements Query {
  readonly name = 'vmm';

  constructor(
    @inject(VmmState) private readonly state: VmmState,
    @inject(VmmConfig) private readonly config: VmmConfig,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  get vmm(): Vmm | undefined {
    return this.state.vmm;
  }

  guests(): Guest[] {
    return this.state.allGuests();
  }

  stats(): VmmStats {
    const { vmm, update } = this.state;
    return {
      ...(vmm ? { vmm } : {}),
      guests: this.state.allGuests(),
      ...(update ? { update } : {}),
      counts: this.state.tally,
    };
  }

  /**
   * The live-migration baseline for an update: every guest migrated to another host and back,
   * each way a pre-copy of its memory at the migration bandwidth and a stop-and-copy blackout.
   * Returns the guests' total blackout and the time the evacuation takes (µs).
   */
  migrationBaseline(): { blackoutMicros: number; totalMicros: number } {
    const { migrateBandwidthMBps, migrateBlackoutMicros } = this.config;
    let blackoutMicros = 0;
    let totalMicros = 0;
    for (const guest of this.state.allGuests()) {
      const bytes =
        this.mmu.mappings(guest.vm).reduce((n, run) => n + run.pages, 0) * this.mmu.config.pageSize;
      blackoutMicros += 2 * migrateBlackoutMicros;
      totalMicros += 2 * (bytes / migrateBandwidthMBps + migrateBlackoutMicros);
    }
    return { blackoutMicros, totalMicros };
  }
}
