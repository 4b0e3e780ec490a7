import { MemoryStore, Simulation } from '@chronovisor/core';
import { counterPlugin, increment } from '@chronovisor/example-counter';
import * as mmu from '@chronovisor/mmu';
import { Timeline } from '@chronovisor/timetravel';
import { DebugSession } from './debug-session';

const bookmarks = { list: () => [], add: () => undefined };

/** A run of one counter increment, and the debugger on it. */
function counterRun(run?: { types(): readonly string[] }): DebugSession {
  const store = new MemoryStore();
  const sim = new Simulation({ plugins: [counterPlugin()], store });
  sim.dispatch(increment, { name: 'a', by: 2 });
  sim.close();
  return new DebugSession(new Timeline(store, [counterPlugin()]), bookmarks, run);
}

/** A run mapping `pages` pages at `va` in one host space, then `more`; the debugger on it. */
function mmuRun(
  va: number,
  pages: number,
  more: (sim: Simulation, space: number) => void = () => undefined,
): { session: DebugSession; space: number; end: number } {
  const store = new MemoryStore();
  const plugins = () => [mmu.mmuPlugin({ frames: 16 })];
  const sim = new Simulation({ plugins: plugins(), store });
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 16 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
  sim.dispatch(mmu.map, { space, va, pages });
  more(sim, space);
  sim.close();
  const session = new DebugSession(new Timeline(store, plugins()), bookmarks);
  return { session, space, end: store.head() };
}

describe('the debugger on a plugin set of its choosing', () => {
  it('works on a run without the MMU: info lists what the set offers, x says why it cannot', () => {
    const session = counterRun();
    expect(session.execute('goto end').value).toMatchObject({ seq: 2 });
    expect(() => session.execute('info spaces')).toThrow('info: expected breakpoints, snapshots');
    expect(() => session.execute('x/4xb 1:0x1000')).toThrow(
      'x: no plugin in this run reads memory (the MMU does: add it to the set)',
    );
    expect(session.execute('info breakpoints').text).toBe('no breakpoints');
  });

  it("shows a plugin's own views, and names them when asked for one it lacks", () => {
    const { session, space } = mmuRun(0, 1, (sim, space) =>
      sim.dispatch(mmu.write, { space, va: 4, data: Uint8Array.of(7, 8) }),
    );
    session.execute('goto end');
    expect(session.execute('info spaces').value).toEqual([
      { id: space, kind: 'host', partition: 'p' },
    ]);
    expect(session.execute('x/2xb 1:0x4').value).toMatchObject({ bytes: [7, 8] });
    expect(() => session.execute('info tlb')).toThrow('info tlb: expected a space id');
    expect(() => session.execute('info nothing')).toThrow(
      /^info: expected breakpoints, snapshots, spaces — the address spaces, frames — .*, tlb <space> — /,
    );
  });

  it('refuses a seq past the end, says when a step meets an end, and counts the writes diff leaves out', () => {
    const { session, end } = mmuRun(0, 1, (sim, space) => {
      for (let i = 0; i < 25; i++)
        sim.dispatch(mmu.write, { space, va: i * 8, data: Uint8Array.of(i) });
    });
    expect(() => session.execute('goto 999999')).toThrow(
      `goto: the run holds records 1 to ${end}, not 999999 (goto end)`,
    );
    session.execute('goto end');
    expect(session.execute('step').text).toBe(`already at the end of the run (seq ${end})`);
    session.execute('goto start');
    expect(session.execute('rstep').text).toBe('already at the start of the run (seq 0)');
    const diff = session.execute(`diff 0 ${end}`);
    expect(diff.text).toContain('  … and 5 more writes (--json lists them all)');
    expect((diff.value as { written: unknown[] }).written).toHaveLength(25);
  });

  it('warns of a breakpoint on a type the run does not hold, and lists quit in help', () => {
    const session = counterRun({ types: () => ['counter.increment', 'counter.value.incremented'] });
    expect(session.execute('break counter.increment').text).toBe('#1: break counter.increment');
    expect(session.execute('break counter.').text).toBe('#2: break counter.');
    expect(session.execute('break nosuch.type').text).toBe(
      '#3: break nosuch.type\nnote: no record of type nosuch.type in this run',
    );
    expect(session.execute('help').text).toContain('quit — leave the debugger');
  });

  it('names the first page of a range that is not mapped', () => {
    const { session, end } = mmuRun(0x1000, 2);
    session.execute('goto end');
    expect(session.execute('x/100000xb 1:0x1800').text).toBe(
      `1:0x1800: mapped, but not the page at 1:0x3000 (6144 bytes on), at seq ${end}`,
    );
    expect(session.execute('x/4xb 1:0x5000').text).toBe(`1:0x5000: not mapped at seq ${end}`);
  });
});
