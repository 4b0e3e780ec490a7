import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * One of the store's threads (`seal-worker`, `read-worker`), shared by the process: started when
 * first joined and kept for the next user, never keeping the process alive. A thread that fails is
 * not reused (whoever waits on it fails by its own timeout); `join` gives undefined where its code
 * cannot be found, and the caller does the work itself.
 */
export class StoreThread {
  private worker?: Worker;

  /** @param lost called when the thread fails, after it is let go */
  constructor(
    private readonly name: string,
    private readonly lost: () => void = () => {},
  ) {}

  join(): Worker | undefined {
    this.worker ??= this.start();
    return this.worker;
  }

  private start(): Worker | undefined {
    // Compiled, or from TypeScript sources through ts-node (tests).
    const compiled = path.join(__dirname, `${this.name}.js`);
    const source = path.join(__dirname, `${this.name}.ts`);
    let worker: Worker | undefined;
    if (existsSync(compiled)) worker = new Worker(compiled);
    else if (existsSync(source))
      worker = new Worker(source, {
        execArgv: ['--require', require.resolve('ts-node/register/transpile-only')],
        // The package's compiler options (esModuleInterop among them), wherever the process runs.
        env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.json') },
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
