import type { Query } from '@chronovisor/core';
import { inject } from 'inversify';
import { OverlayState, type Program } from './overlay-state';

/** A program at a glance: its segment, its live versions, its globals and who shares them. */
export interface ProgramSummary {
  readonly program: string;
  readonly pages: number;
  readonly versions: readonly {
    readonly version: string;
    readonly base: number;
    readonly globals: number;
  }[];
  readonly slots: readonly {
    readonly name: string;
    readonly offset: number;
    readonly size: number;
    readonly users: readonly string[];
  }[];
  readonly freeBytes: number;
}

/** The overlay's read-only face. */
export class OverlayQuery implements Query {
  readonly name = 'global-overlay';

  constructor(@inject(OverlayState) private readonly state: OverlayState) {}

  program(name: string): Program | undefined {
    return this.state.program(name);
  }

  programs(): ProgramSummary[] {
    return this.state.allPrograms().map((p) => ({
      program: p.program,
      pages: p.pages,
      versions: [...p.versions.values()]
        .sort((a, b) => a.order - b.order)
        .map((v) => ({ version: v.version, base: v.base, globals: v.globals.size })),
      slots: [...p.slots.values()]
        .sort((a, b) => a.offset - b.offset)
        .map(({ name, offset, size, users }) => ({ name, offset, size, users })),
      freeBytes: p.free.reduce((n, [, size]) => n + size, 0),
    }));
  }
}
