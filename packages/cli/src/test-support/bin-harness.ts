import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The repository's root. */
export const root = path.join(__dirname, '..', '..', '..', '..');

/**
 * The bin as the tests run it (`node <bin> …`): the real bin/chronovisor.js once lib/ is built (npm
 * test builds it first), else the same entry from the TypeScript sources (see test-bin.js).
 */
export const bin = path.join(__dirname, 'test-bin.js');

/** The bin, in a child process, as a user runs it, each test in a fresh temporary directory. */
export function binHarness() {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const chronovisor = (
    ...args: string[]
  ): { status: number | null; stdout: string; stderr: string } => {
    const result = spawnSync(process.execPath, [bin, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** Runs a command that must be refused as bad input; returns its one error line. */
  const refusedWith = (...args: string[]): string => {
    const result = chronovisor(...args);
    expect(result.status).toBe(2);
    return result.stderr.trim();
  };
  return { chronovisor, refusedWith, file: (name: string) => path.join(dir, name), dir: () => dir };
}
