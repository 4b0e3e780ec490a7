import { debugCompleter, type CompletionSources } from './debug-completion';
import { DEBUG_COMMANDS } from './debug-session';

const sources: CompletionSources = {
  infoViews: () => ['breakpoints', 'snapshots', 'spaces', 'frames', 'tlb', 'heap'],
  spaces: () => [1, 2, 12],
  bookmarks: () => ['stale', 'fork'],
  recordTypes: () => ['heap.free', 'heap.malloc', 'heap.violation.detected', 'mmu.map'],
};
const complete = debugCompleter(sources);

describe('debugCompleter', () => {
  it('completes command names, a single one with a space after it', () => {
    expect(complete('rs')).toEqual([['rstep '], 'rs']);
    expect(complete('w')).toEqual([['watch', 'where', 'why'], 'w']);
    expect(complete('')).toEqual([Object.keys(DEBUG_COMMANDS), '']);
    expect(complete('zz')).toEqual([Object.keys(DEBUG_COMMANDS), 'zz']); // nothing fits: all
  });

  it("completes info's views", () => {
    expect(complete('info ')).toEqual([
      ['breakpoints', 'snapshots', 'spaces', 'frames', 'tlb', 'heap'],
      '',
    ]);
    expect(complete('info s')).toEqual([['snapshots', 'spaces'], 's']);
    expect(complete('info sp')).toEqual([['spaces '], 'sp']);
    expect(complete('info  he')).toEqual([['heap '], 'he']);
  });

  it('completes the space of an address with its colon, for every command taking one', () => {
    for (const command of ['x/4xb', 'why', 'history', 'watch', 'rwatch', 'awatch'])
      expect(complete(`${command} `)).toEqual([['1:', '2:', '12:'], '']);
    expect(complete('why 1')).toEqual([['1:', '12:'], '1']);
    expect(complete('x/16xb 2')).toEqual([['2:'], '2']); // no space: the address follows
    expect(complete('why 1:0x10')).toEqual([[], '1:0x10']);
    expect(complete('watch 1:0x10 ')).toEqual([[], '']); // the length is the user's
  });

  it("completes goto's bookmarks and ends, and break's record types", () => {
    expect(complete('goto ')).toEqual([['start', 'end', 'stale', 'fork'], '']);
    expect(complete('goto s')).toEqual([['start', 'stale'], 's']);
    expect(complete('goto f')).toEqual([['fork '], 'f']);
    expect(complete('break heap.')).toEqual([
      ['heap.free', 'heap.malloc', 'heap.violation.detected'],
      'heap.',
    ]);
    expect(complete('break heap.v')).toEqual([['heap.violation.detected '], 'heap.v']);
    expect(complete('break heap.free actor=')).toEqual([[], 'actor=']);
  });

  it('offers nothing where a command takes no argument, or a source fails', () => {
    expect(complete('step ')).toEqual([[], '']);
    expect(complete('where ')).toEqual([[], '']);
    const failing = debugCompleter({
      ...sources,
      spaces: () => {
        throw new Error('no MMU here');
      },
    });
    expect(failing('why ')).toEqual([[], '']);
  });
});
