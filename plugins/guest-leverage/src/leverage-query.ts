import type { Query } from '@chronovisor/core';
import { inject } from 'inversify';
import { LeverageState, type ChainCounts } from './leverage-state';

/** A chain at a glance: what it holds, where its items went. */
export interface ChainSummary {
  readonly name: string;
  readonly vm: number;
  readonly modules: readonly string[];
  readonly failure: 'open' | 'closed';
  readonly sharing: 'shared' | 'copy';
  readonly inRing: number;
  readonly waiting: number;
  readonly counts: ChainCounts;
  /** received = returned + consumed + dropped + in the ring + waiting: nothing lost, nothing twice. */
  readonly balanced: boolean;
}

/** The guest-leverage plugin's read-only face. */
export class LeverageQuery implements Query {
  readonly name = 'guest-leverage';

  constructor(@inject(LeverageState) private readonly state: LeverageState) {}

  chains(): ChainSummary[] {
    return this.state.allChains().map((c) => {
      const { received, returned, consumed, dropped } = c.counts;
      return {
        name: c.name,
        vm: c.vm,
        modules: c.modules.map((m) => m.kind),
        failure: c.failure,
        sharing: c.sharing,
        inRing: c.queue.length,
        waiting: c.waiting.length,
        counts: c.counts,
        balanced: received === returned + consumed + dropped + c.queue.length + c.waiting.length,
      };
    });
  }

  chain(name: string): ChainSummary | undefined {
    return this.chains().find((c) => c.name === name);
  }
}
