import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { bin, binHarness, root } from './test-support/bin-harness';

const { chronovisor, refusedWith, file, dir } = binHarness();
const example = path.join(root, 'examples', 'use-after-free');

describe('chronovisor debug', () => {
  jest.setTimeout(60_000);

  it('runs scripted commands: watchpoints in reverse, where, why, memory, diff and bookmarks', () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    const result = chronovisor(
      'debug',
      file('uaf.db'),
      '--eval',
      'break heap.violation.detected; goto end; rcontinue; where; watch 1:0x1000000000 4; rcontinue; why 1:0x1000000000; x/4xb 1:0x1000000000; diff 0 25; bookmark stale the late write; bookmarks; goto start; continue',
      '--json',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const answers = JSON.parse(result.stdout) as {
      command: string;
      value: Record<string, unknown>;
    }[];
    const value = (command: string) => answers.find((a) => a.command === command)!.value;
    expect(value('rcontinue')).toMatchObject({ seq: 23, breakpoint: 1 });
    expect(
      (value('where').chain as { type: string; actor: string }[]).map((r) => [r.type, r.actor]),
    ).toEqual([
      ['heap.violation.detected', 'server:admin'],
      ['heap.store', 'server:admin'],
    ]);
    // Backwards from the violation to the last write of the session's first word: bob's login.
    expect(answers[5]!.value).toMatchObject({ seq: 21, breakpoint: 2 });
    expect(value('why 1:0x1000000000')).toMatchObject({
      chain: [{ write: { seq: 21 }, command: { type: 'heap.store', actor: 'server:login' } }],
    });
    expect(value('x/4xb 1:0x1000000000')).toMatchObject({ bytes: [2, 0, 0, 0] });
    expect(value('diff 0 25')).toMatchObject({ projections: ['mmu', 'heap'] });
    expect(value('bookmarks')).toEqual([{ name: 'stale', seq: 21, note: 'the late write' }]);
    // Forwards from the start, the first write there is alice's login.
    expect(answers.at(-1)!.value).toMatchObject({ seq: 13, breakpoint: 2 });
    // Bookmarks live outside the audit chain: the run still verifies.
    expect(chronovisor('verify', file('uaf.db')).status).toBe(0);
  });

  it('seeks from snapshots `chronovisor index` keeps in the file, giving the same answers', () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    const script =
      'goto end; info heap; x/4xb 1:0x1000000000; goto 17; info spaces; rstep 3; where';
    const before = chronovisor('debug', file('uaf.db'), '--eval', script, '--json');
    expect(before.status).toBe(0);
    const indexed = chronovisor('index', file('uaf.db'), '--every', '10', '--json');
    expect(indexed.stderr).toBe('');
    expect(indexed.status).toBe(0);
    const summary = JSON.parse(indexed.stdout) as {
      snapshots: number;
      every: number;
      bytes: number;
    };
    expect(summary.every).toBe(10);
    expect(summary.snapshots).toBeGreaterThan(2);
    expect(summary.bytes).toBeGreaterThan(0);
    const after = chronovisor('debug', file('uaf.db'), '--eval', script, '--json');
    expect(after.stderr).toBe('');
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
    // Kept snapshots live outside the audit chain: the run still verifies.
    expect(chronovisor('verify', file('uaf.db')).status).toBe(0);
    expect(refusedWith('index', file('uaf.db'), '--every', '0')).toContain(
      '--every must be at least 1 record',
    );
  });

  it('seeks from snapshots `chronovisor run --index` keeps as it records', () => {
    const recorded = chronovisor(
      'run',
      example,
      '--out',
      file('kept.db'),
      '--index',
      '6',
      '--json',
    );
    expect(recorded.stderr).toBe('');
    const { kept, records } = JSON.parse(recorded.stdout) as {
      kept: { snapshots: number; every: number };
      records: number;
    };
    expect(kept).toMatchObject({ snapshots: Math.ceil(records / 6), every: 6 });
    const script = 'goto end; info snapshots';
    const withKept = JSON.parse(
      chronovisor('debug', file('kept.db'), '--eval', script, '--json').stdout,
    ) as { value: { count: number } }[];
    expect(withKept[1]!.value.count).toBeGreaterThan(kept.snapshots); // the start, and its own
    expect(chronovisor('verify', file('kept.db')).status).toBe(0);
    expect(refusedWith('run', example, '--out', file('k2.db'), '--index', '0')).toContain(
      '--index must be at least 1 record',
    );
    expect(existsSync(file('k2.db'))).toBe(false); // refused before recording anything
    expect(refusedWith('run', example, '--out', file('k3.db'), '--index', 'often')).toContain(
      'expected an integer from 0 to 9007199254740991',
    );
  });

  it('keeps its snapshots to a memory budget, and says what they hold', () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    expect(chronovisor('index', file('uaf.db'), '--every', '5').status).toBe(0);
    const script = 'goto end; goto 12; info snapshots; x/4xb 1:0x1000000000';
    const roomy = chronovisor('debug', file('uaf.db'), '--eval', script, '--json');
    const tight = chronovisor('debug', file('uaf.db'), '--memory', '0', '--eval', script, '--json');
    expect(tight.stderr).toBe('');
    type Answers = { command: string; value: { bytes?: number } }[];
    const [a, b] = [JSON.parse(roomy.stdout) as Answers, JSON.parse(tight.stdout) as Answers];
    // Roomy, the snapshots loaded from the file stay; tight, they are let go once used.
    expect(a[2]!.value.bytes).toBeGreaterThan(8 * 1024);
    expect(b[2]!.value.bytes).toBeLessThan(1024);
    expect(b.at(-1)).toEqual(a.at(-1)); // the same memory, whatever the budget
    expect(
      chronovisor('debug', file('uaf.db'), '--memory', '2GiB', '--eval', 'goto end').status,
    ).toBe(0);
    expect(refusedWith('debug', file('uaf.db'), '--memory', 'lots')).toContain(
      'expected a size such as 512MiB',
    );
  });

  it('answers a REPL on stdin, keeping going after a bad command', () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    const session = spawnSync(process.execPath, [bin, 'debug', file('uaf.db')], {
      cwd: dir(),
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      input: 'help\nstep 5\nwhere\nnonsense\ngoto end\ninfo spaces\nquit\n',
    });
    expect(session.status).toBe(0);
    expect(session.stdout).toContain('Debugging');
    expect(session.stdout).toContain('rcontinue — backwards');
    expect(session.stdout).toContain('seq 5: command heap.malloc by server:login');
    expect(session.stdout).toContain('✗ Unknown debugger command "nonsense" (try help)');
    expect(session.stdout).toContain('(seq 25)');
    expect(session.stdout).toContain('"kind": "host"');
  });

  it('refuses a bad scripted command with exit code 2, naming it', () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    expect(refusedWith('debug', file('uaf.db'), '--eval', 'goto 3; x/4 1:0x10')).toBe(
      'error: x: expected x/<n>xb <space>:<addr>',
    );
    expect(refusedWith('debug', file('uaf.db'), '--eval', 'watch 0x10')).toBe(
      'error: expected watch <space>:<addr> [len], with an address like 1:0x1000',
    );
  });

  it('keeps the answers before a bad command in --json, the error last', () => {
    expect(chronovisor('run', example, '--out', file('e.db')).status).toBe(0);
    const result = chronovisor('debug', file('e.db'), '--eval', 'goto 5; where; bogus', '--json');
    expect(result.status).toBe(2);
    const answers = JSON.parse(result.stdout) as { command: string; error?: unknown }[];
    expect(answers.map((a) => a.command)).toEqual(['goto 5', 'where', 'bogus']);
    expect(answers[2]!.error).toEqual({
      name: 'CliError',
      message: 'Unknown debugger command "bogus" (try help)',
    });
    expect(result.stderr).toBe('error: Unknown debugger command "bogus" (try help)\n');
  });
});
