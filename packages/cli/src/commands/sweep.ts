import {
  PostgresSweeps,
  isPostgresUrl,
  redactUrl,
  type StoredSweep,
} from '@chronovisor/store-postgres';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { CliError, EXIT } from '../cli-error';
import { invoked, output, table, type Output } from '../output';
import { localQueue, postgresQueue, workerName, type PostgresCellSpec } from '../sweep/cell-queue';
import { loadGrid } from '../sweep/grid';
import { LocalSweep } from '../sweep/local-sweep';
import { onStopSignals } from '../sweep/stop-signals';
import { formatReport, reportOf } from '../sweep/report';
import { work } from '../sweep/work';
import { runWorkerProcesses } from '../sweep/worker-processes';

/** The options of `chronovisor sweep <grid.json>`. */
export interface SweepOptions {
  /** A PostgreSQL server to queue the cells on (and record their runs into). */
  readonly store?: string;
  /** Worker processes to run here; default every core for a local sweep, none for a server's. */
  readonly workers?: number;
  /** The local sweep's folder (default `.chronovisor/sweeps/<name>`). */
  readonly out?: string;
  /** Seconds a cell may run before its worker is taken for dead (a server's sweep). */
  readonly jobTimeout?: number;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/**
 * `chronovisor sweep <grid.json>`: crosses the grid's axes into cells, checks every cell, and
 * queues them all or none: on a PostgreSQL server for workers anywhere (`--store`), or in a
 * folder of this machine's run by `--workers` processes here. Workers here are watched: a dead
 * one's cell is run again by another. Ends with the cells side by side.
 */
export async function sweep(
  gridFile: string,
  options: SweepOptions,
  out: Output = output,
): Promise<number> {
  if (options.store !== undefined && !isPostgresUrl(options.store))
    throw new CliError(
      `--store takes a PostgreSQL server (postgres://user@host:port/database), not ${options.store}: a local sweep's folder is named with --out`,
    );
  if (options.store !== undefined && options.out !== undefined)
    throw new CliError("--out names a local sweep's folder: a sweep queued with --store has none");
  if (options.workers !== undefined && options.workers < 1)
    throw new CliError('--workers takes 1 or more');
  const grid = loadGrid(gridFile);
  const show = !options.json && !options.quiet;
  if (options.store === undefined) {
    const dir = options.out ?? freeFolder(path.join('.chronovisor', 'sweeps', grid.name));
    LocalSweep.create(dir, grid).close();
    if (show) out.line(`Sweep ${grid.name}: ${grid.cells.length} cells in ${dir}`);
    return runLocal(
      dir,
      options.workers ?? Math.min(availableParallelism(), grid.cells.length),
      options,
      out,
    );
  }
  const url = options.store;
  const id = await onServer(url, (sweeps) =>
    sweeps.enqueue(
      grid.name,
      grid.grid,
      grid.cells.map((c) => ({
        params: c.params,
        spec: { name: grid.name, ...c.spec } satisfies PostgresCellSpec,
      })),
      options.jobTimeout === undefined ? {} : { jobTimeout: options.jobTimeout },
    ),
  );
  if (show)
    out.line(
      `Sweep ${grid.name}: ${grid.cells.length} cells queued on ${redactUrl(url)} as sweep ${id}`,
    );
  if (options.workers === undefined) {
    if (options.json) out.json({ sweep: id, name: grid.name, cells: grid.cells.length });
    else if (!options.quiet) {
      out.line('Next, on any machines with this checkout (in this directory):');
      out.line(
        `  ${invoked} worker --store ${redactUrl(url)}    # take cells and run them, until stopped`,
      );
      out.line(
        `  ${invoked} sweep report ${id} --store ${redactUrl(url)}    # the cells side by side`,
      );
    }
    return EXIT.ok;
  }
  await runWorkerProcesses({
    count: options.workers,
    args: ['--store', url, '--until-done', ...(show ? [] : ['--quiet'])],
    show,
    stopping: stoppingNotice(show, out),
    // The server gives a dead worker's cell to another once its job times out.
    died: async (pid, how) => {
      if (show)
        out.line(`worker ${pid} died (${how}): its cell goes to another once its job times out`);
      return (await onServer(url, (sweeps) => sweeps.unfinished(id))) > 0;
    },
  });
  return reported(await onServer(url, (sweeps) => sweeps.sweep(id)), options, out);
}

/** `chronovisor sweep resume <folder>`: runs a local sweep's cells that are not done. */
export async function sweepResume(
  dir: string,
  options: SweepOptions,
  out: Output = output,
): Promise<number> {
  const ledger = LocalSweep.open(dir);
  const requeued = ledger.requeueAll();
  const left = ledger.unfinished();
  ledger.close();
  if (!options.json && !options.quiet)
    out.line(
      `Sweep ${dir}: ${left} cells to run${requeued > 0 ? ` (${requeued} left by workers that stopped)` : ''}`,
    );
  return runLocal(
    dir,
    options.workers ?? Math.max(1, Math.min(availableParallelism(), left)),
    options,
    out,
  );
}

/** `chronovisor sweep report <folder | id --store url>`: the cells side by side. */
export async function sweepReport(
  which: string | undefined,
  options: { store?: string; json?: boolean },
  out: Output = output,
): Promise<number> {
  if (options.store === undefined) {
    if (which === undefined)
      throw new CliError(
        "Name a local sweep's folder, or a server with --store to list its sweeps",
      );
    if (!existsSync(which))
      throw new CliError(
        `${which} is not a sweep's folder; a sweep queued on a server is named by its id, with --store`,
      );
    const ledger = LocalSweep.open(which);
    try {
      return reported(ledger.stored(), options, out);
    } finally {
      ledger.close();
    }
  }
  if (which === undefined) return listed(options.store, options, out);
  const id = Number(which);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new CliError(
      `A sweep on a server is named by its id (a number, as sweep printed), not ${which}`,
    );
  const stored = await onServer(options.store, (sweeps) => sweeps.sweep(id));
  if (!stored) throw new CliError(`${redactUrl(options.store)} has no sweep ${id}`);
  return reported(stored, options, out);
}

/** The options of `chronovisor worker`. */
export interface WorkerOptions {
  readonly store?: string;
  /** A local sweep's folder, instead of a server. */
  readonly sweep?: string;
  readonly untilDone?: boolean;
  /** Seconds between looks for cells whose worker died (a server's). */
  readonly checkExpiredEvery?: number;
  readonly quiet?: boolean;
}

/**
 * `chronovisor worker --store <url>`: takes cells of any sweep on the server, runs each into a
 * run kept there, and leaves its result; until stopped, or with `--until-done` until no cell is
 * queued or being run.
 */
export async function worker(options: WorkerOptions, out: Output = output): Promise<number> {
  if ((options.store === undefined) === (options.sweep === undefined))
    throw new CliError(
      'A worker takes cells from a server (--store postgres://…) or from a local sweep (--sweep <folder>)',
    );
  if (options.store !== undefined && !isPostgresUrl(options.store))
    throw new CliError(
      `--store takes a PostgreSQL server (postgres://user@host:port/database), not ${options.store}`,
    );
  const queue =
    options.store !== undefined
      ? await postgresQueue(
          options.store,
          options.checkExpiredEvery === undefined
            ? {}
            : { checkExpiredEvery: options.checkExpiredEvery },
        )
      : localQueue(options.sweep!);
  // Ctrl-C, or the sweep that started this worker passing on its stop: the cell being run is
  // finished, and no other is taken.
  const stop = new AbortController();
  const stopListening = onStopSignals(() => stop.abort());
  try {
    if (!options.quiet)
      out.line(
        `Worker ${workerName()} taking cells${options.untilDone ? ' until none is left' : ''}`,
      );
    await work(queue, {
      ...(options.untilDone ? { untilDone: true } : {}),
      signal: stop.signal,
      onCell: (cell, result, kept) => {
        if (options.quiet) return;
        const what =
          result.status === 'done'
            ? `done: ${result.events.toLocaleString('en-US')} events in ${result.seconds.toFixed(2)} s`
            : `failed: ${result.error}`;
        out.line(
          `cell ${cell.cell} of ${cell.sweep}${cell.attempt > 1 ? ` (attempt ${cell.attempt})` : ''} ${what}` +
            `${result.run ? ` → ${result.run}` : ''}${kept ? '' : " (another worker's result came first: that one is kept)"}`,
        );
      },
    });
    return EXIT.ok;
  } finally {
    stopListening();
    await queue.close();
  }
}

/** Runs a local sweep's workers here, watching them, then reports it. */
async function runLocal(
  dir: string,
  workers: number,
  options: SweepOptions,
  out: Output,
): Promise<number> {
  const show = !options.json && !options.quiet;
  const ledger = LocalSweep.open(dir);
  try {
    await runWorkerProcesses({
      count: workers,
      args: ['--sweep', dir, '--until-done', ...(show ? [] : ['--quiet'])],
      show,
      stopping: stoppingNotice(show, out),
      died: (pid, how) => {
        const back = ledger.requeue(workerName(pid));
        if (show)
          out.line(
            `worker ${pid} died (${how})${back > 0 ? `: its cell goes back in the queue` : ''}`,
          );
        return Promise.resolve(ledger.unfinished() > 0);
      },
    });
    const code = reported(ledger.stored(), options, out);
    const left = ledger.unfinished();
    if (left > 0) {
      if (!options.json) out.line(`${left} cells not run: ${invoked} sweep resume ${dir}`);
      return EXIT.failed;
    }
    return code;
  } finally {
    ledger.close();
  }
}

/** What the sweep says when asked to stop, once and again. */
const stoppingNotice = (show: boolean, out: Output) => (now: boolean) => {
  if (!show) return;
  out.line(
    now
      ? 'Stopping now: the workers are killed, and the cells they ran are not done'
      : 'Stopping: each worker finishes the cell it runs (Ctrl-C again to stop them now)',
  );
};

/** Prints a sweep's report; exit 1 when a cell failed. */
function reported(
  stored: StoredSweep | undefined,
  options: { json?: boolean; quiet?: boolean },
  out: Output,
): number {
  const report = reportOf(stored!);
  if (options.json) out.json(report);
  else {
    out.heading(`Sweep ${report.name}`);
    out.line(formatReport(report));
  }
  return report.failed > 0 ? EXIT.failed : EXIT.ok;
}

/** The sweeps of a server, newest first: their ids, names and how far they are. */
async function listed(url: string, options: { json?: boolean }, out: Output): Promise<number> {
  const list = await onServer(url, (sweeps) => sweeps.list());
  if (options.json) out.json(list);
  else if (list.length === 0) out.line(`${redactUrl(url)} has no sweeps yet`);
  else
    out.line(
      table(
        ['sweep', 'name', 'cells', 'results', 'queued'],
        list.map((s) => [String(s.id), s.name, String(s.cells), String(s.results), s.created]),
      ),
    );
  return EXIT.ok;
}

/** `work` on the server's sweeps, on a connection of its own, closed after. */
async function onServer<T>(url: string, work: (sweeps: PostgresSweeps) => Promise<T>): Promise<T> {
  const sweeps = await PostgresSweeps.connect(url);
  try {
    return await work(sweeps);
  } finally {
    await sweeps.close();
  }
}

/** `dir`, or with `-2`, `-3`… when taken: a sweep never lands in another's folder. */
function freeFolder(dir: string): string {
  if (!existsSync(dir)) return dir;
  for (let n = 2; ; n++) if (!existsSync(`${dir}-${n}`)) return `${dir}-${n}`;
}
