import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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
  /** The bin, started and left running (a sweep, a worker): the child, and its end and output. */
  const started = (args: readonly string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<{ status: number | null; stdout: string; stderr: string }>(
      (resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })),
    );
    return { child, ended, output: () => stdout };
  };
  return {
    chronovisor,
    refusedWith,
    started,
    file: (name: string) => path.join(dir, name),
    dir: () => dir,
  };
}

/** Waits until `ready()` holds (output a running command has printed, say). */
export async function waitUntil(ready: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (ready()) return;
    await sleep(50);
  }
  throw new Error(`${what} never happened`);
}

/** Waits for a file to appear with something in it (a hung cell's marker); what it holds. */
export async function waitForFile(file: string, ms = 30_000): Promise<string> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (existsSync(file) && readFileSync(file, 'utf8') !== '') return readFileSync(file, 'utf8');
    await sleep(50);
  }
  throw new Error(`${file} never appeared`);
}
