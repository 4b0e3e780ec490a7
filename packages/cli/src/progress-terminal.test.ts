import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { bin, binHarness, root } from './test-support/bin-harness';
import { onTerminal, shellCommand } from './test-support/pty';

const { chronovisor, file, dir } = binHarness();
const quickstart = path.join(root, 'examples', 'quickstart'); // ~40,000 records: progress shows
const useAfterFree = path.join(root, 'examples', 'use-after-free');

/**
 * A command on a terminal, its stdout sent to a file: the terminal shows only its stderr, where
 * progress goes. Returns both.
 */
function withStderrOnTerminal(...args: string[]): { stderr: string; stdout: string } {
  const out = file('stdout.txt');
  const { status, screen } = onTerminal(
    `${shellCommand([process.execPath, bin, ...args])} > ${shellCommand([out])}`,
    { cwd: dir(), env: { NO_COLOR: '1' } },
  );
  expect(status).toBe(0);
  return { stderr: screen, stdout: readFileSync(out, 'utf8') };
}

/** The progress bar at some percentage, as drawn over itself. */
const barAt = (label: string, percent: RegExp) =>
  new RegExp(`\\r${label} \\[[#.]{30}\\] ${percent.source}%`);

describe('progress of verify, export, import and index', () => {
  jest.setTimeout(120_000);

  it('shows on a terminal, on stderr, as it goes', () => {
    expect(chronovisor('run', quickstart, '--out', file('q.db')).status).toBe(0);
    expect(chronovisor('run', useAfterFree, '--out', file('uaf.db')).status).toBe(0);
    const commands: [label: string, args: string[], done: RegExp][] = [
      ['verifying', ['verify', file('q.db')], /^✓ \d+ records and \d+ tree heads verified/],
      ['exporting', ['export', file('q.db'), '--ndjson', file('q.ndjson')], /records written/],
      ['importing', ['import', file('q.ndjson'), '--out', file('copy.db')], /records imported/],
      ['indexing', ['index', file('uaf.db'), '--every', '5'], /^Kept \d+ snapshots/],
    ];
    for (const [label, args, done] of commands) {
      const { stderr, stdout } = withStderrOnTerminal(...args);
      // Drawn as it goes (the quickstart's run is long enough to be seen part way), then erased.
      if (label !== 'indexing') expect(stderr).toMatch(barAt(label, /[1-9]?\d/));
      expect(stderr).toMatch(new RegExp(`${barAt(label, /100/).source}\\r\\x1b\\[K$`));
      expect(stdout).toMatch(done);
      expect(stdout).not.toContain(label);
    }
  });

  it('never shows when not on a terminal, nor with --quiet or --json', () => {
    expect(chronovisor('run', quickstart, '--out', file('q.db')).status).toBe(0);
    expect(chronovisor('run', useAfterFree, '--out', file('uaf.db')).status).toBe(0);
    const piped = [
      ['verify', file('q.db')],
      ['export', file('q.db'), '--ndjson', file('q.ndjson')],
      ['import', file('q.ndjson'), '--out', file('copy.db')],
      ['index', file('uaf.db')],
    ];
    for (const args of piped) {
      const result = chronovisor(...args);
      expect(result.status).toBe(0);
      expect(result.stderr).toBe('');
    }
    const quietOrJson = [
      ['verify', file('q.db'), '--quiet'],
      ['verify', file('q.db'), '--json'],
      ['export', file('q.db'), '--ndjson', file('q.ndjson'), '--force', '--quiet'],
      ['export', file('q.db'), '--ndjson', file('q.ndjson'), '--force', '--json'],
      ['import', file('q.ndjson'), '--out', file('copy.db'), '--force', '--quiet'],
      ['import', file('q.ndjson'), '--out', file('copy.db'), '--force', '--json'],
      ['index', file('uaf.db'), '--quiet'],
      ['index', file('uaf.db'), '--json'],
    ];
    for (const args of quietOrJson) expect(withStderrOnTerminal(...args).stderr).toBe('');
  });
});
