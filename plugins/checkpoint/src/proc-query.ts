import type { Query } from '@chronovisor/core';
import { inject } from 'inversify';
import type { CheckpointImage } from './image';
import { ProcState, type ProcCounts, type Process, type Resource } from './proc-state';

/** A process as the tools show it. */
export interface ProcessView {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly state: 'running' | 'zombie';
  readonly space: number;
  readonly fds: Readonly<Record<number, number>>;
}

/** The process model at a glance. */
export interface ProcStats {
  readonly domains: readonly {
    readonly name: string;
    readonly processes: number;
    readonly zombies: number;
  }[];
  readonly images: readonly {
    readonly name: string;
    readonly processes: number;
    readonly frames: number;
    readonly resources: number;
  }[];
  readonly counts: Readonly<ProcCounts>;
}

/** The checkpoint plugin's read-only face. */
export class ProcQuery implements Query {
  readonly name = 'processes';

  constructor(@inject(ProcState) private readonly state: ProcState) {}

  process(domain: string, pid: number): Process | undefined {
    return this.state.process(domain, pid);
  }

  /** A domain's processes, by pid. */
  processes(domain: string): ProcessView[] {
    return this.state.processesOf(domain).map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgid,
      sid: p.sid,
      state: p.state,
      space: p.space,
      fds: Object.fromEntries(p.fds.sortedEntries()),
    }));
  }

  resource(id: number): Resource | undefined {
    return this.state.resource(id);
  }

  image(name: string): CheckpointImage | undefined {
    return this.state.image(name);
  }

  stats(): ProcStats {
    return {
      domains: this.state.domainNames().map((name) => {
        const all = this.state.processesOf(name);
        return {
          name,
          processes: all.length,
          zombies: all.filter((p) => p.state === 'zombie').length,
        };
      }),
      images: this.state.allImages().map((i) => ({
        name: i.name,
        processes: i.processes.length,
        frames: i.frames.length,
        resources: i.resources.length,
      })),
      counts: this.state.tally,
    };
  }
}
