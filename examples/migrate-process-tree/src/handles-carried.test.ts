import { MmuQuery } from '@chronovisor/mmu';
import {
  HandlesQuery,
  REUSE_POLICIES,
  handlesPlugin,
  type ReusePolicy,
} from '@chronovisor/plugin-handles';
import * as handles from '@chronovisor/plugin-handles';
import fc from 'fast-check';
import { refusedRestore, twoDomains, type DomainsIn } from './test-support/two-domains';
import {
  checkpoint,
  exit,
  fork,
  importImage,
  migrate,
  restore,
  spawn,
} from '@chronovisor/plugin-checkpoint';

/**
 * Two domains over two partitions, with the handle tables: a process's handles go with it. Small
 * tables (a slot in the first leaf, 7 with two levels, 31 with three) and one identifier bit, so
 * short programs grow them to three levels and wrap identifiers.
 */
function machine(withHandles = true, reuse: ReusePolicy = 'lifo', where: DomainsIn = 'host') {
  const options = { leafEntries: 2, pointersPerTable: 4, identifierBits: 1, reuse, reuseDelay: 2 };
  return twoDomains(withHandles ? [handlesPlugin(options)] : [], where);
}

/** What a program does with its handles: create, duplicate (here or to its pair), close, resolve. */
type Op =
  | { op: 'create'; type: 'file' | 'event'; named: boolean }
  | { op: 'duplicate'; which: number; pass: boolean }
  | { op: 'close'; which: number }
  | { op: 'resolve'; which: number; type?: 'file' | 'event' };
const type = fc.constantFrom('file' as const, 'event' as const);
const which = fc.nat(60);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('create' as const), type, named: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('duplicate' as const), which, pass: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('close' as const), which }) },
  {
    weight: 3,
    arbitrary: fc.record(
      { op: fc.constant('resolve' as const), which, type },
      { requiredKeys: ['op', 'which'] },
    ),
  },
);

/**
 * Runs `ops` in `space` (duplicating into `pair` when an op passes a handle); each outcome as
 * data, without the space it happened in. Objects made before `shared` are the same in both
 * places; those made after are named by the order the program first meets them, since each
 * place makes its own.
 */
function program(
  m: ReturnType<typeof machine>,
  space: number,
  pair: number,
  values: number[],
  ops: readonly Op[],
  shared = Number.MAX_SAFE_INTEGER,
): unknown[] {
  const fresh = new Map<number, string>();
  const placeless = (outcome: unknown): unknown =>
    JSON.parse(
      JSON.stringify(outcome, (key, value: unknown) => {
        if (key === 'space') return undefined;
        if (key === 'object' && typeof value === 'number' && value > shared) {
          if (!fresh.has(value)) fresh.set(value, `new ${fresh.size + 1}`);
          return fresh.get(value);
        }
        return value;
      }),
    );
  const refused = (message: string) => message.replace(/[Ss]pace \d+/g, 'space');
  let n = 0;
  return ops.map((o) => {
    if (o.op === 'create') {
      const name = o.named ? `${o.type}-${n++}` : undefined;
      const made = m.sim.dispatch(handles.create, {
        space,
        type: o.type,
        ...(name === undefined ? {} : { name }),
      });
      if (!made.ok) return ['create refused', refused(made.rejection!.message)];
      values.push(made.value!);
      return ['create', made.value];
    }
    const handle = values[o.which % Math.max(1, values.length)];
    if (handle === undefined) return ['none'];
    if (o.op === 'duplicate') {
      const made = m.sim.dispatch(handles.duplicate, {
        space,
        handle,
        ...(o.pass ? { to: pair } : {}),
      });
      if (!made.ok) return ['duplicate refused', refused(made.rejection!.message)];
      if (made.value!.ok && !o.pass) values.push(made.value!.handle);
      return ['duplicate', placeless(made.value)];
    }
    if (o.op === 'close') return ['close', placeless(m.run(handles.close, { space, handle }))];
    const args = o.type === undefined ? { space, handle } : { space, handle, type: o.type };
    return ['resolve', placeless(m.run(handles.resolve, args))];
  });
}

describe('a process’s handle table, checkpointed and restored with it', () => {
  it('comes back whole: the same handles naming the same objects, and the same program goes on the same way', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DomainsIn>('host', 'vm'),
        fc.constantFrom(...REUSE_POLICIES),
        fc.array(op, { maxLength: 40 }),
        fc.array(op, { maxLength: 40 }),
        fc.array(op, { maxLength: 40 }),
        fc.array(op, { maxLength: 30 }),
        (where, reuse, rootOps, childOps, before, after) => {
          const m = machine(true, reuse, where);
          const root = m.run(spawn, { domain: 'src', pages: 4 });
          const space = (pid: number, domain = 'src') => m.procs.process(domain, pid)!.space;
          const values = new Map<number, number[]>([[root, []]]);
          program(m, space(root), space(root), values.get(root)!, rootOps);
          // A child forked after the parent made its handles inherits them, at their values.
          const child = m.run(fork, { domain: 'src', pid: root });
          values.set(child, [...values.get(root)!]);
          const pairOf = (pid: number, domain = 'src') =>
            space(pid === root ? child : root, domain);
          program(m, space(child), pairOf(child), values.get(child)!, childOps);
          program(m, space(root), pairOf(root), values.get(root)!, before);
          m.run(checkpoint, { domain: 'src', root, name: 'tree' });
          m.run(restore, { image: 'tree', domain: 'dst' });
          const query = m.sim.get(HandlesQuery);
          const shared = query.stats().objects.made;
          for (const pid of [root, child]) {
            const [from, to] = [space(pid), space(pid, 'dst')];
            expect(query.handles(to)).toEqual(query.handles(from));
            if (query.table(from))
              expect({ ...query.table(to)!, space: from }).toEqual(query.table(from));
            else expect(query.table(to)).toBeUndefined();
            expect(query.pages(to)).toEqual(query.pages(from));
          }
          // The objects live on in the source, so the restored handles name them: none is made.
          expect(query.stats().objects.made).toBe(shared);
          for (const pid of [root, child]) {
            // The same program on both: the same handles, the same closed and stale ones refused.
            const outcomes = (domain: string) =>
              program(
                m,
                space(pid, domain),
                pairOf(pid, domain),
                [...values.get(pid)!],
                after,
                shared,
              );
            expect(outcomes('dst')).toEqual(outcomes('src'));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('makes each object gone since the checkpoint anew, once for the whole tree', () => {
    const m = machine();
    const root = m.run(spawn, { domain: 'src', pages: 2 });
    const space = (pid: number, domain = 'src') => m.procs.process(domain, pid)!.space;
    const log = m.run(handles.create, { space: space(root), type: 'file', name: 'app.log' });
    const event = m.run(handles.create, { space: space(root), type: 'event' });
    const child = m.run(fork, { domain: 'src', pid: root });
    m.run(handles.duplicate, { space: space(child), handle: log });
    const query = m.sim.get(HandlesQuery);
    const held = [root, child].map((pid) => query.handles(space(pid)));
    // The table's pages are the kernel's (no user bit), the process's own are the user's.
    const privilege = (s: number) =>
      m.sim
        .get(MmuQuery)
        .mappings(s)
        .map((r) => [r.va, r.pages, r.flags.includes('U')]);
    const privileges = [root, child].map((pid) => privilege(space(pid)));
    expect(privileges[0]!.some(([, , user]) => user === false)).toBe(true);
    m.run(checkpoint, { domain: 'src', root, name: 'tree' });
    m.run(exit, { domain: 'src', pid: child, code: 0 });
    m.run(exit, { domain: 'src', pid: root, code: 0 });
    expect(query.stats().objects).toEqual({ made: 2, live: 0 });

    m.run(restore, { image: 'tree', domain: 'dst' });
    [root, child].forEach((pid, i) => expect(privilege(space(pid, 'dst'))).toEqual(privileges[i]));
    // Objects 3 and 4 stand for 1 and 2: the parent's and the child's handles share them.
    const twin = { 1: 3, 2: 4 } as Record<number, number>;
    [root, child].forEach((pid, i) =>
      expect(query.handles(space(pid, 'dst'))).toEqual(
        held[i]!.map((h) => ({ ...h, object: twin[h.object] })),
      ),
    );
    expect(query.stats().objects).toEqual({ made: 4, live: 2 });
    expect(query.resolve(space(child, 'dst'), log)).toMatchObject({ ok: true, object: 3 });
    expect(query.resolve(space(root, 'dst'), event)).toMatchObject({ ok: true, type: 'event' });
  });

  it('is refused, whole, by a plugin set without the handle tables, and when it was forged', () => {
    const m = machine();
    const root = m.run(spawn, { domain: 'src', pages: 2 });
    const space = m.procs.process('src', root)!.space;
    m.run(handles.create, { space, type: 'file' });
    m.run(checkpoint, { domain: 'src', root, name: 'one' });
    const image = m.procs.image('one')!;
    expect(image.format).toBe(2);
    expect(Object.keys(image.processes[0]!.spaceState!)).toEqual(['handles']);

    const bare = machine(false);
    bare.run(importImage, { image });
    expect(refusedRestore(bare, 'one')).toBe(
      `Image one keeps the handles state of pid ${root}, but no plugin of this set keeps handles state: add that plugin to restore it`,
    );

    const forged = structuredClone(image) as unknown as {
      name: string;
      processes: { spaceState: { handles: { table: { slots: { index: number }[] } } } }[];
    };
    forged.name = 'forged';
    forged.processes[0]!.spaceState.handles.table.slots[0]!.index = 40;
    m.run(importImage, { image: forged as unknown as typeof image });
    expect(refusedRestore(m, 'forged')).toMatch(
      /^The handle state for space \d+ holds slot 40, outside its table: its leaves hold slots 1 to 1$/,
    );
  });

  it('moves with its process when it migrates, by remap or by copy: its handles name the same objects', () => {
    for (const mode of ['remap', 'copy'] as const) {
      // The same handles in two processes; one migrates, the other stays: they go on alike.
      const m = machine();
      const [moving, staying] = [1, 2].map(() => m.run(spawn, { domain: 'src', pages: 2 }));
      const spaces = [moving!, staying!].map((pid) => m.procs.process('src', pid)!.space);
      const made = spaces.map((space) =>
        [0, 1, 2, 3, 4].map((i) =>
          m.run(handles.create, { space, type: i % 2 ? 'file' : 'event' }),
        ),
      );
      spaces.forEach((space, i) => m.run(handles.close, { space, handle: made[i]![1]! }));
      const query = m.sim.get(HandlesQuery);
      const objects = made[0]!.map((handle) => query.lookup(spaces[0]!, handle));
      m.run(migrate, { domain: 'src', pid: moving!, to: 'dst', mode });
      const to = m.procs.process('dst', moving!)!.space;
      expect(made[0]!.map((handle) => query.lookup(to, handle))).toEqual(objects);
      const users = (s: number) =>
        m.sim
          .get(MmuQuery)
          .mappings(s)
          .map((r) => [r.va, r.pages, r.flags.includes('U')]);
      expect(users(to)).toEqual(users(spaces[1]!)); // the table's pages still the kernel's
      expect(m.run(handles.create, { space: to, type: 'file' })).toBe(
        m.run(handles.create, { space: spaces[1]!, type: 'file' }),
      );
    }
  });
});
