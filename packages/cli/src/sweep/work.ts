import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { CellQueue } from './cell-queue';
import { runCell, type CellResult } from './run-cell';

/** How a worker goes on. */
export interface WorkOptions {
  /** Stop once no cell is queued or being run by anyone, rather than wait for new sweeps. */
  readonly untilDone?: boolean;
  /** Milliseconds between looks at an empty queue; default 500. */
  readonly idleMs?: number;
  /** Told of each cell run. */
  readonly onCell?: (
    cell: { sweep: string; cell: number; attempt: number },
    result: CellResult,
    kept: boolean,
  ) => void;
  /** Stops the loop between cells (Ctrl-C on an idle worker). */
  readonly signal?: AbortSignal;
}

/**
 * A worker: takes cells one at a time, runs each, and leaves its result; between cells it looks
 * for more. A cell is the worker's until finished: one killed mid-cell leaves it to the queue's
 * retry (a server's job timeout, or the local sweep's parent).
 */
export async function work(queue: CellQueue, options: WorkOptions = {}): Promise<number> {
  let ran = 0;
  for (;;) {
    // A turn of the event loop between cells: a local queue answers at once, and a signal to
    // stop is handled only on a turn.
    await nextTurn();
    if (options.signal?.aborted) break;
    const cell = await queue.take();
    if (cell) {
      const result = await runCell(cell, queue.place);
      const kept = await queue.finish(cell, result);
      ran++;
      options.onCell?.(cell, result, kept);
      continue;
    }
    if (options.untilDone && !(await queue.waiting())) break;
    await sleep(options.idleMs ?? 500, undefined, { signal: options.signal }).catch(
      () => undefined,
    );
  }
  return ran;
}
