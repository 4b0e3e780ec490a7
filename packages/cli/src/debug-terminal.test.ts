import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { bin, binHarness, root } from './test-support/bin-harness';
import { TerminalSession, shellCommand } from './test-support/pty';

const { chronovisor, file, dir } = binHarness();
const example = path.join(root, 'examples', 'use-after-free');

const UP = '\x1b[A';
const CTRL_C = '\x03';
const CTRL_D = '\x04';

const sessions: TerminalSession[] = [];
afterEach(() => sessions.splice(0).forEach((s) => s.kill()));

/** `chronovisor debug` on a pseudo-terminal, its history in the test's folder unless given. */
function debugOnTerminal(run: string, history = file('history')): TerminalSession {
  const session = new TerminalSession(shellCommand([process.execPath, bin, 'debug', run]), {
    cwd: dir(),
    env: { NO_COLOR: '1', CHRONOVISOR_HISTORY_FILE: history },
  });
  sessions.push(session);
  return session;
}

describe('chronovisor debug on a terminal', () => {
  jest.setTimeout(60_000);

  beforeEach(() => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
  });

  it('completes commands and their arguments with tab: views, spaces, bookmarks, types', async () => {
    const marked = chronovisor('debug', file('uaf.db'), '--eval', 'goto 21; bookmark stale');
    expect(marked.status).toBe(0);
    const debug = debugOnTerminal(file('uaf.db'));
    await debug.waitFor('(seq 0) ');
    debug.type('goto st\t'); // start and stale: what they share, then both listed
    await debug.waitFor('goto sta');
    debug.type('\t');
    expect(await debug.waitFor('stale')).toMatch(/start\s+stale/);
    debug.type('l\t');
    await debug.waitFor('goto stale ');
    debug.type('\r');
    await debug.waitFor('(seq 21) ');
    debug.type('inf\t');
    await debug.waitFor('info ');
    debug.type('sp\t');
    expect(await debug.waitFor('spaces ')).toBe('spaces ');
    debug.type('\r');
    expect(await debug.waitFor('(seq 21) ')).toContain('"kind": "host"');
    debug.type('x/4xb \t'); // the run's one space
    await debug.waitFor('x/4xb 1:');
    debug.type('0x1000000000\r');
    await debug.waitFor('1:0x1000000000: 02 00 00 00');
    debug.type('break heap.vi\t');
    await debug.waitFor('break heap.violation.detected ');
    debug.type('\r');
    await debug.waitFor('#1: break heap.violation.detected');
    debug.type(CTRL_D);
    expect((await debug.end()).status).toBe(0);
  });

  it('drops the line being typed on Ctrl-C, and leaves on Ctrl-D, quit or exit', async () => {
    const debug = debugOnTerminal(file('uaf.db'));
    await debug.waitFor('(seq 0) ');
    debug.type('goto 5');
    await debug.waitFor('goto 5');
    debug.type(CTRL_C);
    await debug.waitFor('^C\n(seq 0) '); // as bash: the line stays on the screen
    debug.type('where\r');
    await debug.waitFor('at the start (seq 0)');
    await debug.waitFor('(seq 0) ');
    debug.type(CTRL_C); // on an empty line too: still there
    await debug.waitFor('^C\n(seq 0) ');
    debug.type('goto 3\r');
    await debug.waitFor('(seq 3) ');
    debug.type('quit\r');
    const { status, screen } = await debug.end();
    expect(status).toBe(0);
    expect(screen).not.toContain('seq 5:');

    for (const leave of [CTRL_D, 'exit\r']) {
      const again = debugOnTerminal(file('uaf.db'));
      await again.waitFor('(seq 0) ');
      again.type(leave);
      expect((await again.end()).status).toBe(0);
    }
  });

  it('keeps the history between sessions, the last 1,000 lines', async () => {
    const first = debugOnTerminal(file('uaf.db'));
    await first.waitFor('(seq 0) ');
    first.type('goto 7\r');
    await first.waitFor('(seq 7) ');
    first.type(`goto 5${CTRL_C}`); // dropped: no history
    await first.waitFor('^C');
    first.type('where\r');
    await first.waitFor('caused by');
    first.type(CTRL_D);
    expect((await first.end()).status).toBe(0);
    expect(readFileSync(file('history'), 'utf8')).toBe('goto 7\nwhere\n');

    const second = debugOnTerminal(file('uaf.db'));
    await second.waitFor('(seq 0) ');
    second.type(`${UP}${UP}\r`); // the line before the last one of the session before
    await second.waitFor('(seq 7) ');
    second.type(CTRL_D);
    expect((await second.end()).status).toBe(0);
    expect(readFileSync(file('history'), 'utf8')).toBe('goto 7\nwhere\ngoto 7\n');

    writeFileSync(file('history'), Array.from({ length: 1200 }, (_, i) => `step ${i}`).join('\n'));
    const third = debugOnTerminal(file('uaf.db'));
    await third.waitFor('(seq 0) ');
    third.type('goto end\r');
    await third.waitFor('(seq 25) ');
    third.type(CTRL_D);
    expect((await third.end()).status).toBe(0);
    const kept = readFileSync(file('history'), 'utf8').trimEnd().split('\n');
    expect(kept).toHaveLength(1000);
    expect([kept[0], kept.at(-1)]).toEqual(['step 201', 'goto end']);
  });

  it('debugs on when its history file cannot be read, with one note saying so', async () => {
    mkdirSync(file('history-folder'));
    const debug = debugOnTerminal(file('uaf.db'), file('history-folder'));
    await debug.waitFor('(seq 0) ');
    debug.type('goto end\r');
    await debug.waitFor('(seq 25) ');
    debug.type(CTRL_D);
    const { status, screen } = await debug.end();
    expect(status).toBe(0);
    expect(screen.match(/note: /g)).toHaveLength(1);
    expect(screen).toContain(
      `note: cannot read the debugger's history ${file('history-folder')} (EISDIR): the history is not kept this session`,
    );
  });
});
