import { Panel, Projector, Simulation, type PanelContent } from '@chronovisor/core';
import { MmuQuery, createPartition, mmuPlugin } from '@chronovisor/mmu';
import { globalOverlayPlugin } from './global-overlay-plugin';
import { load, retire, write } from './overlay-commands';
import { OverlayQuery } from './overlay-query';

const int = (n: number, size = 4) => {
  const out = new Uint8Array(size);
  new DataView(out.buffer).setInt32(0, n, true);
  return out;
};
const hex = (n: number) => `0x${n.toString(16)}`;

type Table = Extract<PanelContent, { kind: 'table' }>;

/** The run's events up to `seq` folded as the web page folds them: the panel's sections by title. */
function panelAt(sim: Simulation, seq: number) {
  const projector = new Projector([mmuPlugin({ frames: 2048 }), globalOverlayPlugin()]);
  for (const r of sim.store.read(1, seq)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'overlay')!;
  const content = panel.show();
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  const tables: Record<string, Table> = {};
  const facts: Record<string, Record<string, unknown>> = {};
  for (const { title, content: c } of content.sections) {
    if (c.kind === 'table') tables[title] = c;
    if (c.kind === 'facts')
      facts[title] = Object.fromEntries(c.facts.map((f) => [f.label, f.value]));
  }
  return { tables, facts, query: projector.get(OverlayQuery), mmu: projector.get(MmuQuery) };
}

/** An `address` value's space and virtual address. */
function place(address: unknown): [number, number] {
  const [space, va] = String(address).split(':');
  return [Number(space), Number(va)];
}

describe('the global-overlay panel of the web page', () => {
  it('shows each version’s globals, the shared bytes behind them and which versions see the same ones', () => {
    const sim = new Simulation({
      plugins: [mmuPlugin({ frames: 2048 }), globalOverlayPlugin()],
      seed: 1,
    });
    sim.dispatch(createPartition, { name: 'app', frames: 1024 });
    const v1 = [
      { name: 'counter', type: 'int', size: 4, initial: int(5) },
      { name: 'total', type: 'long', size: 8 },
    ];
    expect(
      sim.dispatch(load, { program: 'srv', version: 'v1', partition: 'app', globals: v1 }).ok,
    ).toBe(true);
    const onlyV1 = sim.seq;
    const v2 = [
      { name: 'counter', type: 'long', size: 8 },
      { name: 'total', type: 'long', size: 8 },
      { name: 'errors', type: 'int', size: 4, initial: int(1) },
    ];
    const loaded = sim.dispatch(load, {
      program: 'srv',
      version: 'v2',
      partition: 'app',
      globals: v2,
      transformers: { counter: { kind: 'extend', signed: true } },
    });
    expect(loaded.ok).toBe(true);
    sim.dispatch(write, { program: 'srv', version: 'v1', global: 'total', data: int(42, 8) });

    const { tables, facts, query, mmu } = panelAt(sim, sim.seq);
    const program = query.program('srv')!;
    const [summary] = query.programs();
    expect(facts['program srv']).toEqual({
      partition: 'app',
      'store space': program.store,
      'segment at': hex(program.va),
      pages: summary!.pages,
      'live versions': 2,
      'globals allocated': summary!.slots.length,
      'bytes free': summary!.freeBytes,
    });

    // The versions, in load order, each with its process and its global segment.
    expect(tables['srv: versions']!.rows).toEqual(
      summary!.versions.map((v) => {
        const version = program.versions.get(v.version)!;
        const by = (binding: string) =>
          [...version.globals.values()].filter((g) => g.binding === binding).length;
        return {
          version: v.version,
          space: version.space,
          segment: `${version.space}:${hex(v.base)}`,
          globals: v.globals,
          common: by('common'),
          added: by('added'),
          transformed: by('transformed'),
          written: version.writtenSince.size,
        };
      }),
    );
    expect(
      tables['srv: versions']!.rows.map((r) => [r.version, r.common, r.added, r.transformed]),
    ).toEqual([
      ['v1', 0, 2, 0],
      ['v2', 1, 1, 1],
    ]);

    // The shared segment's allocations, as the query lists them, each a link into the store.
    expect(tables['srv: shared data segment']!.rows).toEqual(
      summary!.slots.map((s) => ({
        name: s.name,
        type: [...program.slots.values()].find((x) => x.offset === s.offset)!.type,
        size: s.size,
        offset: s.offset,
        bytes: `${program.store}:${hex(program.va + s.offset)}`,
        users: s.users.join(', '),
      })),
    );

    // What each version sees: one row a version's global, at an address in its own process that
    // reads the very bytes of the allocation it is bound to.
    const seen = tables['srv: what each version sees']!.rows;
    expect(seen.map((r) => [r.version, r.global])).toEqual(
      [...program.versions.values()].flatMap((v) =>
        [...v.globals.values()].sort((a, b) => a.offset - b.offset).map((g) => [v.version, g.name]),
      ),
    );
    for (const row of seen) {
      const [space, va] = place(row.address);
      expect(space).toBe(program.versions.get(String(row.version))!.space);
      const slot = tables['srv: shared data segment']!.rows.find((s) => s.offset === row.offset)!;
      const [store, storeVa] = place(slot.bytes);
      expect(mmu.read(space, va, Number(row.size))).toEqual(
        mmu.read(store, storeVa, Number(row.size)),
      );
      expect(String(row.sharedWith)).toBe(
        String(slot.users)
          .split(', ')
          .filter((u) => u !== row.version)
          .join(', '),
      );
    }
    const total = (version: string) =>
      seen.find((r) => r.version === version && r.global === 'total')!;
    expect(total('v1').offset).toBe(total('v2').offset); // common: the same bytes
    expect(total('v1').sharedWith).toBe('v2');
    expect(mmu.read(...place(total('v2').address), 8)).toEqual(int(42, 8)); // v1's write, seen by v2
    const counter = (version: string) =>
      seen.find((r) => r.version === version && r.global === 'counter')!;
    expect(counter('v1').offset).not.toBe(counter('v2').offset); // transformed: bytes of its own
    expect(counter('v2')).toMatchObject({ binding: 'transformed', sharedWith: '' });

    // Before v2 loaded, and after it is retired (the rollback), only v1 is there.
    expect(panelAt(sim, onlyV1).tables['srv: versions']!.rows.map((r) => r.version)).toEqual([
      'v1',
    ]);
    sim.dispatch(retire, { program: 'srv', version: 'v2' });
    const after = panelAt(sim, sim.seq).tables;
    expect(after['srv: versions']!.rows.map((r) => r.version)).toEqual(['v1']);
    expect(after['srv: shared data segment']!.rows.map((r) => [r.name, r.users])).toEqual([
      ['counter', 'v1'],
      ['total', 'v1'],
    ]);
  });

  it('shows at most 200 of the globals the versions see, counting the rest', () => {
    const sim = new Simulation({
      plugins: [mmuPlugin({ frames: 2048 }), globalOverlayPlugin()],
      seed: 1,
    });
    sim.dispatch(createPartition, { name: 'app', frames: 1024 });
    const globals = Array.from({ length: 150 }, (_, i) => ({
      name: `g${i}`,
      type: 'int',
      size: 4,
    }));
    for (const version of ['v1', 'v2'])
      expect(sim.dispatch(load, { program: 'p', version, partition: 'app', globals }).ok).toBe(
        true,
      );
    const seen = panelAt(sim, sim.seq).tables['p: what each version sees']!;
    expect(seen.rows).toHaveLength(200);
    expect(seen.more).toBe(100);
    expect(seen.rows.at(-1)).toMatchObject({ version: 'v2', global: 'g49', sharedWith: 'v1' });
  });
});
