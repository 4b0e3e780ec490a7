import { spawn, type ChildProcess } from 'node:child_process';

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
}

/**
 * Runs `count` worker processes of this command (`chronovisor worker …`) until all have exited,
 * starting another in place of one that dies while cells remain (at most as many as were asked
 * for, again, so that a worker that always dies cannot loop). Ctrl-C reaches them too (one
 * process group): the sweep then stops, keeping every cell done. Resolves to whether every
 * worker ended well.
 */
export async function runWorkerProcesses(workers: WorkerProcesses): Promise<boolean> {
  let replacements = workers.count;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  try {
    const start = (): Promise<boolean> =>
      exited(
        spawn(process.execPath, [process.argv[1]!, 'worker', ...workers.args], {
          stdio: ['ignore', workers.show ? 'inherit' : 'ignore', 'inherit'],
        }),
      ).then(async ({ pid, code, signal }) => {
        if (code === 0) return true;
        const remain = await workers.died(pid, signal ? `killed by ${signal}` : `exit ${code}`);
        if (interrupted || !remain || replacements === 0) return false;
        replacements--;
        return start();
      });
    const ended = await Promise.all(Array.from({ length: workers.count }, start));
    return ended.every(Boolean) && !interrupted;
  } finally {
    process.off('SIGINT', onSigint);
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
