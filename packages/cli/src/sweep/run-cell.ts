import type { Store } from '@chronovisor/core';
import { summarizeRun } from '@chronovisor/replay';
import { hostname } from 'node:os';
import { loadPlugins } from '../plugin-loader';
import { recordScenario } from '../record-scenario';
import { loadScenario } from '../scenario-loader';
import type { CellSpec } from './grid';

/** A cell as a worker runs it: which sweep and cell, the attempt, and what to run. */
export interface CellToRun {
  readonly sweep: string;
  readonly cell: number;
  readonly attempt: number;
  readonly spec: CellSpec;
}

/** Where a cell's run is recorded: a run file of the sweep's folder, or a PostgreSQL server. */
export interface RunPlace {
  /**
   * A new run for a cell: its store, its name for people once complete (`commit`), and its name
   * until then (where a failed cell's records stay).
   */
  create(
    cell: CellToRun,
    manifest: Record<string, unknown>,
  ): {
    readonly store: Store;
    readonly address: string;
    readonly unfinished: string;
    commit(): void;
  };
}

/** What a cell came to: the figures a sweep's report compares. */
export interface CellResult {
  /** `done`, or `failed` (the scenario threw, or the cell could not start; `error` says why). */
  readonly status: 'done' | 'failed';
  /** The run it recorded (what it recorded before failing, for a failed cell). */
  readonly run?: string;
  /** `host:pid` of the worker that ran it. */
  readonly worker: string;
  readonly attempt: number;
  readonly records: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly faults: number;
  readonly violations: number;
  /** Commands the plugins refused. */
  readonly refused: number;
  /** Each plugin's figures (`SummaryLines.figures`), by its summary's name. */
  readonly figures: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly error?: string;
}

/**
 * Runs one cell into a new run at `place`. A cell that fails is a result too (a scenario that
 * throws throws again on any worker): only a worker's death makes a cell run again.
 */
export async function runCell(cell: CellToRun, place: RunPlace): Promise<CellResult> {
  const worker = `${hostname()}:${process.pid}`;
  const failed = (error: unknown, run?: string, records = 0): CellResult => ({
    status: 'failed',
    ...(run === undefined ? {} : { run }),
    worker,
    attempt: cell.attempt,
    records,
    events: 0,
    seconds: 0,
    eventsPerSecond: 0,
    faults: 0,
    violations: 0,
    refused: 0,
    figures: {},
    error: (error as Error).message,
  });
  let made: ReturnType<RunPlace['create']>;
  let loaded: {
    scenario: ReturnType<typeof loadScenario>;
    plugins: ReturnType<typeof loadPlugins>;
  };
  try {
    loaded = {
      scenario: loadScenario(cell.spec.scenario),
      plugins: loadPlugins(cell.spec.plugins, process.cwd(), `cell ${cell.cell}`),
    };
    made = place.create(cell, {
      scenario: loaded.scenario.name,
      plugins: loaded.plugins.manifest,
      digestInterval: cell.spec.digestInterval ?? null,
      sweep: { name: cell.sweep, cell: cell.cell, attempt: cell.attempt },
    });
  } catch (error) {
    return failed(error);
  }
  const { store, address } = made;
  try {
    const recorded = await recordScenario(loaded.scenario, {
      plugins: loaded.plugins.plugins,
      seed: cell.spec.seed,
      store,
      ...(cell.spec.digestInterval === undefined
        ? {}
        : { digestInterval: cell.spec.digestInterval }),
    });
    const summary = summarizeRun(store, recorded.eventTypes);
    store.close();
    made.commit();
    return {
      status: 'done',
      run: address,
      worker,
      attempt: cell.attempt,
      records: summary.records,
      events: summary.events,
      seconds: recorded.seconds,
      eventsPerSecond: summary.events / recorded.seconds,
      faults: summary.faults,
      violations: summary.violations,
      refused: summary.rejections,
      figures: recorded.figures,
    };
  } catch (error) {
    const records = store.head();
    store.close();
    return failed(error, made.unfinished, records);
  }
}
