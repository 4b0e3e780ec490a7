import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { DebugHistory, HISTORY_LINES, historyFile } from './debug-history';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('historyFile', () => {
  it('is CHRONOVISOR_HISTORY_FILE, else under XDG_STATE_HOME, else ~/.local/state', () => {
    expect(historyFile({ CHRONOVISOR_HISTORY_FILE: '/tmp/h', XDG_STATE_HOME: '/s' })).toBe(
      '/tmp/h',
    );
    expect(historyFile({ CHRONOVISOR_HISTORY_FILE: '' })).toBeUndefined(); // kept nowhere
    expect(historyFile({ XDG_STATE_HOME: '/s' })).toBe('/s/chronovisor/debug_history');
    const fallback = path.join(homedir(), '.local', 'state', 'chronovisor', 'debug_history');
    expect(historyFile({})).toBe(fallback);
    expect(historyFile({ XDG_STATE_HOME: 'relative' })).toBe(fallback); // the spec: absolute
  });
});

describe('DebugHistory', () => {
  it('reads the lines kept, and appends a session’s to what the file holds when it ends', () => {
    const file = path.join(dir, 'state', 'chronovisor', 'debug_history');
    const first = new DebugHistory(file);
    expect(first.load()).toEqual([]);
    for (const line of ['goto end', 'goto end', '', '  ', 'where']) first.add(line);
    const second = new DebugHistory(file);
    second.load();
    second.add('where'); // not the same as the line before it in this session's history
    first.save(); // creates the folders
    second.add('info spaces');
    second.save(); // after the first: both sessions' lines stay
    expect(readFileSync(file, 'utf8')).toBe('goto end\nwhere\nwhere\ninfo spaces\n');
    const third = new DebugHistory(file);
    expect(third.load()).toEqual(['goto end', 'where', 'where', 'info spaces']);
    third.add('info spaces'); // the last line kept
    third.save();
    expect(readFileSync(file, 'utf8')).toBe('goto end\nwhere\nwhere\ninfo spaces\n');
  });

  it(`keeps the last ${HISTORY_LINES} lines`, () => {
    const file = path.join(dir, 'debug_history');
    writeFileSync(file, Array.from({ length: 1500 }, (_, i) => `step ${i}`).join('\n'));
    const history = new DebugHistory(file);
    expect(history.load()).toHaveLength(1500);
    history.add('where');
    history.save();
    const kept = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(kept).toHaveLength(HISTORY_LINES);
    expect(kept[0]).toBe('step 501');
    expect(kept.at(-1)).toBe('where');
  });

  it('notes once a file it cannot read, and then leaves it alone', () => {
    const file = path.join(dir, 'a-folder');
    mkdirSync(file);
    const notes: string[] = [];
    const history = new DebugHistory(file, (text) => notes.push(text));
    expect(history.load()).toEqual([]);
    history.add('where');
    history.save();
    expect(notes).toEqual([
      `note: cannot read the debugger's history ${file} (EISDIR): the history is not kept this session\n`,
    ]);
  });

  it('notes once a file it cannot write', () => {
    // A link to a folder that does not exist: nothing to read yet, and nowhere to write.
    const file = path.join(dir, 'debug_history');
    symlinkSync(path.join(dir, 'missing', 'debug_history'), file);
    const notes: string[] = [];
    const history = new DebugHistory(file, (text) => notes.push(text));
    expect(history.load()).toEqual([]);
    history.add('where');
    history.save();
    history.save();
    expect(notes).toEqual([
      `note: cannot write the debugger's history ${file} (ENOENT): this session's lines are not kept\n`,
    ]);
  });

  it('keeps nothing where no file is given', () => {
    const history = new DebugHistory(undefined, () => {
      throw new Error('no note expected');
    });
    expect(history.load()).toEqual([]);
    history.add('where');
    history.save();
  });
});
