import { SqliteStore } from '@chronovisor/store';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { binHarness, root } from './test-support/bin-harness';

const { chronovisor, refusedWith, file } = binHarness();
const traces = path.join(root, 'plugins', 'heap', 'fixtures');
const find = path.join(traces, 'alloc-traces', 'find.trace');

describe('chronovisor trace', () => {
  jest.setTimeout(60_000);

  it('runs a trace into a run file that replays, verifies and re-executes under another policy', () => {
    const run = chronovisor(
      'trace',
      find,
      '--policy',
      'first-fit',
      '--out',
      file('find.db'),
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      format: 'wee-alloc',
      policy: 'first-fit',
      tagBits: 8,
      ops: 1130,
      violations: {},
    });
    expect(report.utilization).toBeGreaterThan(0.8);
    expect(report.opsPerSecond).toBeGreaterThan(0);
    expect(chronovisor('replay', file('find.db')).status).toBe(0);
    expect(chronovisor('verify', file('find.db')).status).toBe(0);

    writeFileSync(
      file('buddy.json'),
      JSON.stringify({
        plugins: [
          { name: '@chronovisor/mmu', options: { frames: 262144 } },
          { name: '@chronovisor/plugin-heap', options: { policy: 'buddy' } },
        ],
      }),
    );
    // Commands name refs, not addresses: buddy runs the same program cleanly, at other addresses.
    const other = chronovisor('reexec', file('find.db'), '--config', file('buddy.json'), '--json');
    expect(other.status).toBe(1);
    const reexec = JSON.parse(other.stdout) as {
      reexecuted: { violations: number; rejections: number };
    };
    expect(reexec.reexecuted).toMatchObject({ violations: 0, rejections: 0 });
  });

  it('reports injected faults, what was expected, and which escaped with their seqs', () => {
    const run = chronovisor(
      'trace',
      find,
      '-k',
      '2',
      '--inject',
      'uaf=300,double-free=100,invalid-free=10,seed=4',
      '--out',
      file('inj.db'),
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /use-after-free\s+300\s+\d+ \(\d+\.\d\d%\)\s+\d+\.\d\d%\s+\d+ ← \d+/,
    );
    expect(run.stdout).toMatch(/invalid-free\s+10\s+10 \(100\.00%\)\s+100\.00%\s+none/);
    // Escaped faults are findings of the run, not errors; what they did stays in the log.
    const store = SqliteStore.open(file('inj.db'), { readonly: true });
    const actors = new Set([...store.read(1)].map((r) => r.actor));
    store.close();
    expect(actors).toContain('inject');
  });

  it('runs CS:APP .rep traces', () => {
    const run = chronovisor(
      'trace',
      path.join(traces, 'malloc-lab', 'realloc.rep'),
      '--out',
      file('rep.db'),
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/ops\s+14 \(5 alloc, 4 free, 5 realloc\)/);
  });

  it('refuses bad input with exit code 2, naming the problem', () => {
    writeFileSync(file('bad.trace'), 'Alloc(8),\nAlloc(eight),\n');
    expect(refusedWith('trace', file('bad.trace'))).toBe(
      `error: Trace ${file('bad.trace')}:2: expected "Alloc(<bytes>)," or "Free(<index>),", found "Alloc(eight),"`,
    );
    expect(refusedWith('trace', file('none.trace'))).toBe(
      `error: Trace file ${file('none.trace')} does not exist`,
    );
    expect(refusedWith('trace', find, '--inject', 'uaf=3,typo=1')).toMatch(
      /--inject: cannot read "typo=1"/,
    );
    expect(refusedWith('trace', find, '--policy', 'worst-fit')).toMatch(
      /Allowed choices are first-fit, best-fit, segregated, buddy/,
    );
    expect(refusedWith('trace', find, '--tag-bits', '20')).toMatch(
      /options\.tagBits = 20: .*must fit a pointer in 53 bits/,
    );
  });
});
