import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * One of the stores' threads (`seal-worker`, `read-worker`, `verify-worker`, the PostgreSQL
 * store's), shared by the process: started when
 * first joined and kept for the next user, never keeping the process alive. A thread that fails is
 * not reused (whoever waits on it fails by its own timeout); `join` gives undefined where its code
 * cannot be found, and the caller does the work itself.
 */
export class StoreThread {
  /** A thread of this package, its code at `name` (without extension) beside this file. */
  static ofStore(name: string, lost?: () => void): StoreThread {
    return new StoreThread(
      path.join(__dirname, name),
      path.join(__dirname, '..', '..', 'tsconfig.json'),
      lost,
    );
  }

  private worker?: Worker;

  /**
   * @param script the thread's code: its path without the extension (`.js` compiled, or `.ts`)
   * @param project the tsconfig.json its package compiles with (for the TypeScript sources)
   * @param lost called when the thread fails, after it is let go
   */
  constructor(
    private readonly script: string,
    private readonly project: string,
    private readonly lost: () => void = () => {},
  ) {}

  join(): Worker | undefined {
    this.worker ??= this.start();
    return this.worker;
  }

  private start(): Worker | undefined {
    // Compiled, or from TypeScript sources through ts-node (tests).
    const compiled = `${this.script}.js`;
    const source = `${this.script}.ts`;
    let worker: Worker | undefined;
    if (existsSync(compiled)) worker = new Worker(compiled);
    else if (existsSync(source))
      worker = new Worker(source, {
        execArgv: ['--require', require.resolve('ts-node/register/transpile-only')],
        // The package's compiler options (esModuleInterop among them), wherever the process runs.
        env: { ...process.env, TS_NODE_PROJECT: this.project },
      });
    worker?.unref();
    // Its error does not bring the process down.
    worker?.on('error', () => {
      if (this.worker === worker) this.worker = undefined;
      this.lost();
    });
    return worker;
  }
}
