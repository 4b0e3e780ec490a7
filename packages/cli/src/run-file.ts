import { SqliteStore } from '@chronovisor/store';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { readKey } from './keys';
import { OutputFile } from './output-file';

/** How a command names and signs the run file it records. */
export interface RunFileOptions {
  readonly out?: string;
  readonly force?: boolean;
  /** An Ed25519 private key (PEM file): every tree head of the run is signed with it. */
  readonly sign?: string;
}

/**
 * `.chronovisor/runs/<name>-seed<n>.db`, or with `-2`, `-3`… when that is taken: a run is
 * never replaced unless asked (`--force` replaces the first).
 */
function defaultRunFile(name: string, seed: number, force: boolean): string {
  const base = path.join('.chronovisor', 'runs', `${name}-seed${seed}`);
  if (force || !existsSync(`${base}.db`)) return `${base}.db`;
  for (let n = 2; ; n++) if (!existsSync(`${base}-${n}.db`)) return `${base}-${n}.db`;
}

/**
 * Creates the run file a command records into (`--out`, or a default name), with its manifest.
 * The run is recorded under its partial name and takes its own only when complete
 * (`output.commit()`): a run that fails, or is interrupted or killed, leaves any old file whole
 * and is itself kept under the partial name.
 */
export function createRunFile(
  options: RunFileOptions,
  name: string,
  seed: number,
  manifest: Record<string, unknown>,
): { file: string; store: SqliteStore; output: OutputFile } {
  const file = options.out ?? defaultRunFile(name, seed, options.force ?? false);
  const output = new OutputFile(file, { force: options.force ?? false });
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const signingKey = options.sign ? readKey(options.sign, 'private') : undefined;
  const store = SqliteStore.create(output.partial, {
    ...(signingKey ? { signingKey } : {}),
    manifest: { createdBy: '@chronovisor/cli@1.0.0', seed, ...manifest },
  });
  return { file, store, output };
}
