import { Projector } from '@chronovisor/core';
import { createSpace, destroySpace, fork as forkSpace, map, mmuPlugin } from '@chronovisor/mmu';
import { close, create, duplicate, resolve, restoreState } from './handles-commands';
import type { HandlesStateData } from './handles-events';
import type { HandlesOptions } from './handles-options';
import { handlesPlugin } from './handles-plugin';
import { HandlesSpaceState } from './handles-space-state';
import { HandlesState } from './handles-state';
import { handlesMachine } from './test-support/handles-machine';

/** Small tables: 3 slots a leaf, 2 pointers a table, so 15 handles take 3 levels. */
const SMALL: HandlesOptions = { leafEntries: 4, pointersPerTable: 2, identifierBits: 3 };

/** A machine whose space 1 holds a table grown to 3 levels, with closes and reused slots. */
function grownMachine(options: HandlesOptions = SMALL) {
  const m = handlesMachine(options);
  const { handles } = m;
  const made = Array.from({ length: 12 }, (_, i) =>
    handles.create(i % 3 ? 'file' : 'event', `o${i}`),
  );
  handles.duplicate(made[2]!); // object 3 named twice
  for (const i of [4, 0, 7, 9]) handles.close(made[i]!);
  handles.create('section', 'reused'); // a closed slot again, under its next identifier
  handles.close(made[1]!);
  handles.resolve(made[3]!);
  m.sim.dispatch(resolve, { space: m.space, handle: made[4]! }); // refused: closed
  return { ...m, made, capture: (space: number) => captured(m.sim, space) };
}

/** What travels with the space's process, as it would cross a file. */
function captured(sim: ReturnType<typeof handlesMachine>['sim'], space: number): HandlesStateData {
  return JSON.parse(JSON.stringify(sim.get(HandlesSpaceState).capture(space))) as HandlesStateData;
}

/** A fresh host space whose memory mirrors the table's: its pages mapped where they were. */
function mirror(m: ReturnType<typeof handlesMachine>, state: HandlesStateData): number {
  const to = m.sim.dispatch(createSpace, { kind: 'host', partition: 'p0' }).value!;
  for (const { table: va } of state.table.tables)
    m.sim.dispatch(map, { space: to, va, pages: 1, perms: 'rw-', kernel: true, lazy: false });
  return to;
}

/** An outcome without the space it happened in. */
const placeless = (outcome: unknown): unknown =>
  JSON.parse(
    JSON.stringify(outcome, (key, value: unknown) => (key === 'space' ? undefined : value)),
  );

describe('a handle table, captured and restored into another space', () => {
  it.each(['lifo', 'fifo', 'delayed'] as const)(
    'comes back whole (%s): the same handles, objects, free list and counters; the same program goes on the same way',
    (reuse) => {
      const m = grownMachine({ ...SMALL, reuse, reuseDelay: 2 });
      const { sim, space: from, query } = m;
      const state = m.capture(from);
      expect(state.table.levels).toBe(3);
      expect(state.table.tables.map((t) => t.role)).toEqual([
        'leaf',
        'mid',
        'leaf',
        'top',
        'mid',
        'leaf',
        'leaf',
      ]);
      expect(state.table.free.length).toBeGreaterThan(0);
      const to = mirror(m, state);
      const before = query.stats().objects;
      expect(sim.dispatch(restoreState, { space: to, state }).ok).toBe(true);

      // The same handles, naming the same objects (each now named from both spaces).
      expect(query.handles(to)).toEqual(query.handles(from));
      for (const { handle, object } of query.handles(from)) {
        expect(query.resolve(to, handle)).toEqual(query.resolve(from, handle));
        expect(query.lookup(to, handle)).toBe(object);
      }
      expect(query.stats().objects).toEqual(before);
      const objects = sim.get(HandlesState).objects;
      expect(objects.handlesOf(3)).toBe(4); // duplicated: named twice in each space
      expect({ ...query.table(to)!, space: from }).toEqual(query.table(from));
      expect(query.pages(to)).toEqual(query.pages(from));
      // Rebuilt word for word: the table's scalars and the hash of its facts are the original's.
      const digestOf = (space: number) => sim.get(HandlesState).table(space)!.digestInput();
      expect((digestOf(to) as unknown[]).slice(1)).toEqual((digestOf(from) as unknown[]).slice(1));
      expect(m.capture(to)).toEqual(state);

      // The same program in both: closes, resolves (closed and stale handles too), duplicates…
      const program = (space: number) =>
        [
          ...m.made.map((handle) => sim.dispatch(resolve, { space, handle }).value),
          ...m.made.slice(0, 6).map((handle) => sim.dispatch(close, { space, handle }).value),
          ...m.made.map((handle) => sim.dispatch(duplicate, { space, handle }).value),
        ].map(placeless);
      expect(program(to)).toEqual(program(from));
      expect((digestOf(to) as unknown[]).slice(1)).toEqual((digestOf(from) as unknown[]).slice(1));
      // …and creates: the same handle values, slot after slot (new objects, one per space).
      const creates = (space: number) =>
        Array.from({ length: 4 }, () => sim.dispatch(create, { space, type: 'file' }).value);
      expect(creates(to)).toEqual(creates(from));
      expect({ ...query.table(to)!, space: from }).toEqual(query.table(from));

      // The log alone rebuilds the same state: the event carries what the restore decided.
      const projector = new Projector(
        [mmuPlugin({ frames: 1024 }), handlesPlugin({ ...SMALL, reuse, reuseDelay: 2 })],
        1,
      );
      for (const record of sim.store.read(1)) if (record.kind === 'event') projector.apply(record);
      expect(projector.digest()).toBe(sim.digest());
    },
  );

  it('makes objects anew where they are gone, once for every slot and space of one restore, keeping the ones that live on', () => {
    const m = grownMachine();
    const { sim, space: from, query } = m;
    // Object 3 lives on in another space; the rest go with their space.
    const other = sim.dispatch(createSpace, { kind: 'host', partition: 'p0' }).value!;
    const kept = query.handles(from).find((h) => h.object === 3)!;
    sim.dispatch(duplicate, { space: from, handle: kept.handle, to: other });
    const state = m.capture(from);
    const handlesBefore = query.handles(from);
    const made = query.stats().objects.made;
    sim.dispatch(destroySpace, { space: from });
    expect(query.stats().objects.live).toBe(1);

    const to = mirror(m, state);
    const result = sim.dispatch(restoreState, { space: to, state });
    expect(result.ok).toBe(true);
    const restored = result.events.find((e) => e.type === 'handles.state.restored')!;
    const objects = (
      restored.data as { objects: { from: number; object: number; made: boolean }[] }
    ).objects;
    const gone = state.objects.length - 1;
    expect(objects.filter((o) => o.made).map((o) => o.object)).toEqual(
      Array.from({ length: gone }, (_, i) => made + 1 + i),
    );
    expect(objects.find((o) => o.from === 3)).toMatchObject({ object: 3, made: false });
    const renamed = new Map(objects.map((o) => [o.from, o.object]));
    // Every handle names its object's twin: the same type and name, shared where it was shared.
    expect(query.handles(to)).toEqual(
      handlesBefore.map((h) => ({ ...h, object: renamed.get(h.object)! })),
    );
    const counts = sim.get(HandlesState).objects;
    for (const { from: was, object } of objects)
      expect(counts.handlesOf(object)).toBe(
        handlesBefore.filter((h) => h.object === was).length + (was === 3 ? 1 : 0),
      );
    expect(query.stats().objects).toEqual({ made: made + gone, live: gone + 1 });

    // Restored again (another process of the same image): the twins live, so they are shared.
    const again = mirror(m, state);
    expect(sim.dispatch(restoreState, { space: again, state }).ok).toBe(true);
    expect(query.handles(again)).toEqual(query.handles(to));
    expect(query.stats().objects.made).toBe(made + gone);
    // A checkpoint of the restored table names its objects by their origins: the same state.
    expect(m.capture(to).objects.map((o) => o.origin)).toEqual(state.objects.map((o) => o.origin));
  });

  it("never takes another run's object for its own: an object is known by its origin", () => {
    const a = grownMachine();
    const state = a.capture(a.space);
    // Another run, with live objects of the same ids, types and names, made at other seqs (a
    // run that made them at the same seqs, after the same commands, made the same objects).
    const b = handlesMachine(SMALL);
    b.sim.dispatch(createSpace, { kind: 'host', partition: 'p0' });
    for (let i = 0; i < 12; i++) b.handles.create(i % 3 ? 'file' : 'event', `o${i}`);
    const to = mirror(b, state);
    expect(b.sim.dispatch(restoreState, { space: to, state }).ok).toBe(true);
    expect(b.query.stats().objects).toEqual({
      made: 12 + state.objects.length,
      live: 12 + state.objects.length,
    });
    expect(b.query.handles(to).every((h) => h.object > 12)).toBe(true);
  });

  it('is inherited by a space forked with mmu.fork (as proc.fork forks a process)', () => {
    const m = grownMachine();
    const child = m.sim.dispatch(forkSpace, { space: m.space }).value!;
    expect(m.query.handles(child)).toEqual(m.query.handles(m.space));
    expect(m.sim.dispatch(create, { space: child, type: 'file' }).ok).toBe(true);
  });
});

describe('a handle state that does not fit', () => {
  /** The state as a forger edits it. */
  interface Forgeable {
    layout: Record<string, number>;
    table: {
      slots: { index: number; issues: number; identifier: number }[];
      tables: { table: number }[];
      free: number[];
      counters?: unknown;
    };
    objects: { object: number }[];
  }
  type Forge = (state: Forgeable) => void;
  const cases: [string, Forge, RegExp][] = [
    [
      'a slot outside the table',
      (s) => (s.table.slots.at(-1)!.index = 99),
      /^The handle state for space \d+ holds slot 99, outside its table: its leaves hold slots 1 to 15$/,
    ],
    [
      'a page at the wrong address',
      (s) => (s.table.tables[1]!.table += 4096 * 9),
      /^The handle state for space \d+ has a mid at 0x200000a000 over \[0x2000000000, 0x2000002000\] as table 1, where a table grown to 4 leaves has a mid at 0x2000001000 over \[0x2000000000, 0x2000002000\]$/,
    ],
    [
      'a slot of the wrong shape',
      (s) => (s.table.slots[0]!.issues = 0),
      /^The handle state for space \d+ does not fit: table\.slots\.0\.issues: Too small/,
    ],
    [
      'no counters',
      (s) => delete s.table.counters,
      /^The handle state for space \d+ does not fit: table\.counters: /,
    ],
    [
      'an identifier its slot never handed out',
      (s) => (s.table.slots[2]!.identifier = 5),
      /^The handle state for space \d+ gives slot 3 identifier 5 after 1 handles: it would carry 0$/,
    ],
    [
      'a free slot left out of the free list',
      (s) => (s.table.free = s.table.free.slice(1)),
      /^The handle state for space \d+ has slot \d+ free but not in its free list$/,
    ],
    [
      'an object no slot names',
      (s) => (s.objects = [...s.objects, { ...s.objects[0]!, object: 50 }]),
      /^The handle state for space \d+ lists object 50, which none of its slots names$/,
    ],
    [
      'a slot naming an object it does not list',
      (s) => (s.objects = s.objects.slice(1)),
      /^The handle state for space \d+ has slot \d+ name object \d+, which its objects do not list$/,
    ],
    [
      'another layout',
      (s) => (s.layout = { ...s.layout, leafEntries: 8 }),
      /^The handle state for space \d+ was made with leafEntries 8; this run's handle tables have 4/,
    ],
  ];

  it.each(cases)('is refused, and nothing changes: %s', (_, forge, message) => {
    const m = grownMachine();
    const state = m.capture(m.space);
    const to = mirror(m, state);
    forge(state as unknown as Forgeable);
    const digest = m.sim.digest();
    const result = m.sim.dispatch(restoreState, { space: to, state });
    expect(result.ok).toBe(false);
    expect(result.rejection!.message).toMatch(message);
    expect(m.sim.digest()).toBe(digest);
    expect(m.query.table(to)).toBeUndefined();
  });

  it('is refused where its pages are not mapped, or the space has a table or is missing', () => {
    const m = grownMachine();
    const state = m.capture(m.space);
    const bare = m.sim.dispatch(createSpace, { kind: 'host', partition: 'p0' }).value!;
    const refusal = (space: number) =>
      m.sim.dispatch(restoreState, { space, state }).rejection?.message;
    expect(refusal(bare)).toBe(
      `The handle table's page 0x2000000000 is not mapped in space ${bare}: restore its memory first`,
    );
    expect(refusal(m.space)).toBe(
      `Space ${m.space} has a handle table already: a table is restored into a new space`,
    );
    expect(refusal(99)).toBe('There is no address space 99 to restore a handle table into');
    expect(m.query.table(bare)).toBeUndefined();
  });
});
