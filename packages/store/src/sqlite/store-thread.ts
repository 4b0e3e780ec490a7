import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts one of the store's threads from its module beside this one (`seal-worker`,
 * `read-worker`): compiled, or from TypeScript sources through ts-node (tests). It never keeps the
 * process alive; `lost` is called if it fails. Undefined where its code cannot be found.
 */
export function startStoreThread(name: string, lost: () => void): Worker | undefined {
  const compiled = path.join(__dirname, `${name}.js`);
  const source = path.join(__dirname, `${name}.ts`);
  let worker: Worker | undefined;
  if (existsSync(compiled)) worker = new Worker(compiled);
  else if (existsSync(source))
    worker = new Worker(source, {
      execArgv: ['--require', require.resolve('ts-node/register/transpile-only')],
      // The package's compiler options (esModuleInterop among them), wherever the process runs.
      env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', '..', 'tsconfig.json') },
    });
  worker?.unref();
  // Its error does not bring the process down; whoever waits on it fails by its own timeout.
  worker?.on('error', lost);
  return worker;
}
