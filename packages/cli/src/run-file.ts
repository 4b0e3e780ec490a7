import { SqliteStore } from '@chronovisor/store';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from './cli-error';
import { readKey } from './keys';

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

/** Creates the run file a command records into (`--out`, or a default name), with its manifest. */
export function createRunFile(
  options: RunFileOptions,
  name: string,
  seed: number,
  manifest: Record<string, unknown>,
): { file: string; store: SqliteStore } {
  const file = options.out ?? defaultRunFile(name, seed, options.force ?? false);
  if (existsSync(file)) {
    if (!options.force) throw new CliError(`${file} already exists; pass --force to replace it`);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const signingKey = options.sign ? readKey(options.sign, 'private') : undefined;
  const store = SqliteStore.create(file, {
    ...(signingKey ? { signingKey } : {}),
    manifest: { createdBy: '@chronovisor/cli@1.0.0', seed, ...manifest },
  });
  return { file, store };
}
