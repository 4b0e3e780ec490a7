import { SqliteStore } from '@chronovisor/store';
import {
  PostgresStore,
  PostgresSweeps,
  runAddress,
  type SweepQueueOptions,
} from '@chronovisor/store-postgres';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { OutputFile } from '../output-file';
import type { CellSpec } from './grid';
import { LocalSweep } from './local-sweep';
import type { CellResult, CellToRun, RunPlace } from './run-cell';

/** A cell taken from a queue, to run and then finish. */
export interface TakenCell extends CellToRun {
  /** The queue's own handle of the job. */
  readonly job: unknown;
}

/** Where a worker takes its cells and leaves their results: a server's queue, or a local sweep. */
export interface CellQueue {
  /** Where the cells' runs are recorded. */
  readonly place: RunPlace;
  /** The next cell waiting, taken for this worker; undefined when none waits now. */
  take(): Promise<TakenCell | undefined>;
  /** Keeps a cell's result (false when another worker's came first) and ends its job. */
  finish(cell: TakenCell, result: CellResult): Promise<boolean>;
  /** Whether cells remain that a worker might yet take: queued, or being run by any worker. */
  waiting(): Promise<boolean>;
  close(): Promise<void>;
}

/** What a worker calls itself in the queue: this machine and process. */
export const workerName = (pid = process.pid): string => `${hostname()}:${pid}`;

/** The job a PostgreSQL queue holds for a cell: the sweep's name and what to run. */
export interface PostgresCellSpec extends CellSpec {
  readonly name: string;
}

/** The queue of every sweep on a PostgreSQL server; each cell's run recorded there too. */
export async function postgresQueue(
  url: string,
  options: SweepQueueOptions = {},
): Promise<CellQueue> {
  const sweeps = await PostgresSweeps.connect(url, options);
  return {
    place: {
      create(cell, manifest) {
        const store = PostgresStore.create(url, {
          name: `${cell.sweep}/cell-${cell.cell}`,
          manifest: { createdBy: '@chronovisor/cli@1.0.0', seed: cell.spec.seed, ...manifest },
        });
        const address = runAddress(url, store.run);
        return { store, address, unfinished: address, commit: () => undefined };
      },
    },
    async take() {
      const job = await sweeps.take<PostgresCellSpec>();
      if (!job) return undefined;
      const { name, ...spec } = job.spec;
      return { job, sweep: `${name}#${job.sweep}`, cell: job.cell, attempt: job.attempt, spec };
    },
    finish: (cell, result) =>
      sweeps.finish(cell.job as Parameters<PostgresSweeps['finish']>[0], result),
    waiting: async () => (await sweeps.queued()) > 0,
    close: () => sweeps.close(),
  };
}

/** A sweep of this machine's: cells from its ledger, runs into its folder (`cell-<n>.db`). */
export function localQueue(dir: string): CellQueue {
  const sweep = LocalSweep.open(dir);
  const name = sweep.name;
  const me = workerName();
  return {
    place: {
      create(cell, manifest) {
        // A cell run again (its worker died) replaces nothing: the dead one's partial file stays.
        const output = new OutputFile(path.join(dir, `cell-${cell.cell}.db`), { force: true });
        const store = SqliteStore.create(output.partial, {
          manifest: { createdBy: '@chronovisor/cli@1.0.0', seed: cell.spec.seed, ...manifest },
        });
        return {
          store,
          address: output.file,
          unfinished: output.partial,
          commit: () => output.commit(),
        };
      },
    },
    take: () => {
      const job = sweep.take(me);
      return Promise.resolve(job && { job, sweep: name, ...job });
    },
    finish: (cell, result) => Promise.resolve(sweep.finish(cell.cell, result)),
    waiting: () => Promise.resolve(sweep.unfinished() > 0),
    close: () => Promise.resolve(sweep.close()),
  };
}
