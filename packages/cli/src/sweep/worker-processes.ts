import { spawn, type ChildProcess } from 'node:child_process';
import { onStopSignals } from './stop-signals';

/** How a sweep's worker processes are started and looked after. */
export interface WorkerProcesses {
  /** How many run at once. */
  readonly count: number;
  /** The `chronovisor worker …` arguments each one gets. */
  readonly args: readonly string[];
  /** Whether their output (a line a cell) shows; else it is dropped (`--json`, `--quiet`). */
  readonly show: boolean;
  /**
   * Told of a worker that died (killed, or failed): what it held goes back to the queue here.
   * Returns whether cells remain, for a worker to take its place.
   */
  readonly died: (pid: number, how: string) => Promise<boolean>;
  /** Told when the sweep is asked to stop: `now` on the second asking. */
  readonly stopping?: (now: boolean) => void;
}

/**
 * Runs `count` worker processes of this command (`chronovisor worker …`) until all have exited,
 * starting another in place of one that dies while cells remain (at most as many as were asked
 * for, again, so that a worker that always dies cannot loop). Asked to stop (SIGINT or SIGTERM),
 * it passes SIGTERM on to its workers, which finish the cell they run and stop, keeping every
 * cell done: Ctrl-C in a terminal reaches them anyway (one process group), but `kill` or a
 * supervisor reaches this process alone. Asked again, it kills them; their cells go back to the
 * queue. Resolves to whether every worker ended well.
 */
export async function runWorkerProcesses(workers: WorkerProcesses): Promise<boolean> {
  let replacements = workers.count;
  let stops = 0;
  const live = new Set<ChildProcess>();
  const onStop = () => {
    stops++;
    workers.stopping?.(stops > 1);
    for (const child of live) child.kill(stops > 1 ? 'SIGKILL' : 'SIGTERM');
  };
  const stopListening = onStopSignals(onStop);
  try {
    const start = (): Promise<boolean> => {
      const child = spawn(process.execPath, [process.argv[1]!, 'worker', ...workers.args], {
        stdio: ['ignore', workers.show ? 'inherit' : 'ignore', 'inherit'],
      });
      live.add(child);
      return exited(child).then(async ({ pid, code, signal }) => {
        live.delete(child);
        if (code === 0) return true;
        const remain = await workers.died(pid, signal ? `killed by ${signal}` : `exit ${code}`);
        if (stops > 0 || !remain || replacements === 0) return false;
        replacements--;
        return start();
      });
    };
    const ended = await Promise.all(Array.from({ length: workers.count }, start));
    return ended.every(Boolean) && stops === 0;
  } finally {
    stopListening();
  }
}

function exited(
  child: ChildProcess,
): Promise<{ pid: number; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ pid: child.pid!, code, signal }));
  });
}
