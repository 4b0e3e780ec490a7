import { Simulation } from '@chronovisor/core';
import { MmuQuery, createPartition, createSpace, map, mmuPlugin } from '@chronovisor/mmu';
import handlesPluginDefault, { HandleRejection, HandlesClient, handlesPlugin } from './index';
import { close, create, resolve } from './handles-commands';
import { handlesMachine } from './test-support/handles-machine';

/** The rejection a client call throws. */
function rejection(call: () => unknown): HandleRejection['rejection'] {
  try {
    call();
  } catch (error) {
    if (error instanceof HandleRejection) return error.rejection;
    throw error;
  }
  throw new Error('expected the handle to be refused');
}

describe('handles plugin', () => {
  it('is the package default export', () => {
    expect(handlesPluginDefault).toBe(handlesPlugin);
    expect(handlesPlugin().manifest).toMatchObject({
      name: '@chronovisor/plugin-handles',
      prefix: 'handles',
    });
  });

  it('creates, resolves and closes handles; a closed handle is refused, a reused slot carries a new identifier', () => {
    const { handles, query, space } = handlesMachine();
    const file = handles.create('file', 'log.txt');
    expect(file).toBe(1); // index 1, identifier 0: as NT's first handle, without its ×4
    expect(handles.resolve(file, 'file')).toBe(1);
    handles.close(file);
    expect(rejection(() => handles.resolve(file))).toMatchObject({
      reason: 'closed',
      index: 1,
      identifier: 0,
      entry: { identifier: 1 },
    });
    const event = handles.create('event'); // LIFO: the same slot, the next identifier
    expect(event).toBe(2 ** 24 + 1);
    expect(rejection(() => handles.resolve(file))).toMatchObject({
      reason: 'stale',
      entry: { identifier: 1, object: 2 },
    });
    expect(query.lookup(space, file)).toBe(0);
    expect(query.lookup(space, event)).toBe(2);
    expect(rejection(() => handles.resolve(event, 'file'))).toMatchObject({
      reason: 'wrong-type',
      expected: 'file',
      type: 'event',
    });
    // An identifier the slot never handed out is forged, not stale.
    expect(rejection(() => handles.resolve(5 * 2 ** 24 + 1))).toMatchObject({ reason: 'forged' });
    expect(rejection(() => handles.close(0))).toMatchObject({ reason: 'invalid', op: 'close' });
    expect(rejection(() => handles.resolve(77))).toMatchObject({ reason: 'invalid' });
  });

  it('grows from one leaf to three levels, mapping each table page through the MMU', () => {
    const { handles, query, space, sim } = handlesMachine({ leafEntries: 4, pointersPerTable: 2 });
    const made: number[] = [];
    const levels: number[] = [];
    // 1 level holds 3 handles (index 0 is never used), 2 levels 7, 3 levels 15.
    for (let i = 0; i < 15; i++) {
      made.push(handles.create('file'));
      levels.push(query.table(space)!.levels);
    }
    expect(levels).toEqual([1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(made.map((h) => query.lookup(space, h))).toEqual(made.map((_, i) => i + 1));
    const table = query.table(space)!;
    expect(table.tables).toEqual({ leaf: 4, mid: 2, top: 1 });
    expect(table.code).toBe(2 ** 37 + 3 * 4096 + 2); // the top table, third page added, | 3 − 1
    const pages = query.pages(space);
    expect(pages.map((p) => p.role)).toEqual(['leaf', 'mid', 'leaf', 'top', 'mid', 'leaf', 'leaf']);
    expect(pages[3]!.children).toEqual([pages[1]!.table, pages[4]!.table]);
    const mappings = sim.get(MmuQuery).mappings(space);
    const mappedPages = mappings.reduce((sum, run) => sum + run.pages, 0);
    expect(mappedPages).toBe(7);
    expect(() => handles.create('file')).toThrow(/handle table is full: 15 handles/);
  });

  it('refuses options that are malformed, or that do not fit the MMU, naming them', () => {
    expect(() => handlesPlugin({ leafEntries: 3 })).toThrow(
      /leafEntries = 3: must be a power of two/,
    );
    expect(() => handlesPlugin({ reuse: 'random' as 'lifo' })).toThrow(/options.reuse = "random"/);
    const build = (options: Parameters<typeof handlesPlugin>[0], mmu = {}) =>
      new Simulation({ plugins: [mmuPlugin(mmu), handlesPlugin(options)], seed: 1 });
    expect(() => build({ base: 2 ** 40 }, { levels: 3 })).toThrow(
      /Options of plugin "@chronovisor\/plugin-handles" do not fit the MMU's: the handle tables \(0x10000000000 to 0x\w+\) run past the MMU's 0x8000000000 address space/,
    );
    expect(() => build({ leafEntries: 512 })).toThrow(
      /leafEntries \(512\) × 16-byte entries do not fit the MMU's 4096-byte pages/,
    );
    expect(() => build({ base: 2 ** 37 + 100 })).toThrow(/base 0x2000000064 is not aligned/);
  });

  it('refuses a table in a space that does not exist', () => {
    const { sim } = handlesMachine({}, 1024, { frames: 2048 });
    expect(sim.dispatch(create, { space: 9, type: 'file' }).rejection?.message).toMatch(
      /Space 9 does not exist/,
    );
  });

  it("keeps a guest's table in guest-physical pages of its VM's memory, checked as a host's", () => {
    const { sim } = handlesMachine({}, 1024, { frames: 2048 });
    sim.dispatch(createPartition, { name: 'vm', frames: 512 });
    const vm = sim.dispatch(createSpace, { kind: 'vm', partition: 'vm' }).value!;
    sim.dispatch(map, { space: vm, va: 0, pages: 128 });
    const guest = sim.dispatch(createSpace, { kind: 'guest', vm }).value!;
    const handles = new HandlesClient(sim, guest);
    const file = handles.create('file', 'guest.log');
    expect(handles.resolve(file, 'file')).toBe(1);
    handles.close(file);
    expect(rejection(() => handles.resolve(file))).toMatchObject({ reason: 'closed', index: 1 });
    const pages = sim.get(MmuQuery).mappings(guest);
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.every((run) => run.frame + run.pages <= 128)).toBe(true);
  });

  it('records each operation as its command and one event', () => {
    const { sim, space, eventsAfter } = handlesMachine();
    sim.dispatch(create, { space, type: 'file' });
    const before = sim.seq;
    sim.dispatch(resolve, { space, handle: 1 });
    sim.dispatch(close, { space, handle: 1 });
    sim.dispatch(close, { space, handle: 1 });
    expect(eventsAfter(before).map((e) => e.type)).toEqual([
      'handles.handle.resolved',
      'handles.handle.closed',
      'handles.handle.rejected',
    ]);
  });
});
