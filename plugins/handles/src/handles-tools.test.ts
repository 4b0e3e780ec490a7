import {
  InfoView,
  Panel,
  Projector,
  SummaryLines,
  type EventRecord,
  type PanelContent,
  type PanelNode,
} from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import { resolve } from './handles-commands';
import type { HandlesOptions } from './handles-options';
import { handlesPlugin } from './handles-plugin';
import { HandlesQuery } from './handles-query';
import { handlesMachine } from './test-support/handles-machine';

/** A small run, folded into a projector as the tools (debugger, inspect) fold a run file. */
function run(options: HandlesOptions = {}) {
  const m = handlesMachine({ leafEntries: 4, pointersPerTable: 4, ...options });
  const files = [0, 1, 2, 3].map((i) => m.handles.create('file', `f${i}`));
  m.handles.create('event');
  m.handles.close(files[1]!);
  m.sim.dispatch(resolve, { space: m.space, handle: files[1]! });
  const projector = new Projector([
    mmuPlugin({ frames: 1024 }),
    handlesPlugin({ leafEntries: 4, pointersPerTable: 4, ...options }),
  ]);
  const events = [...m.sim.store.read(1)].filter((r): r is EventRecord => r.kind === 'event');
  for (const event of events) projector.apply(event);
  return { ...m, projector, events, files };
}

/** The handles panel's tree, for a run's events folded as the web page folds them. */
function panelTree(m: ReturnType<typeof handlesMachine>, options: HandlesOptions): PanelNode[] {
  const projector = new Projector([mmuPlugin({ frames: 1024 }), handlesPlugin(options)]);
  for (const r of m.sim.store.read(1)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'handles')!;
  const content: PanelContent = panel.show();
  if (content.kind !== 'tree') throw new Error(`expected a tree, got ${content.kind}`);
  return [...content.nodes];
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Checks a space's node against the query: the table pages as the query links them, from the top
 * the table code names; each open handle under the leaf its entry is in, in index order.
 */
function expectTableMatchesQuery(
  node: PanelNode,
  m: ReturnType<typeof handlesMachine>,
  space: number,
): void {
  const { query } = m;
  const table = query.table(space)!;
  const pages = query.pages(space);
  const pageSize = m.sim.get(MmuQuery).pageSize;
  expect(node.label).toBe(`space ${space}`);
  expect(node.detail).toContain(`table code ${hex(table.code)}`);
  const [root] = node.children!;
  expect(root!.label).toMatch(new RegExp(` ${hex(table.code - (table.levels - 1))}$`));
  const seen: string[] = [];
  const entries: { leaf: number; label: string; detail: string }[] = [];
  const walk = (n: PanelNode): void => {
    seen.push(n.label);
    const [role, address] = n.label.split(' ') as [string, string];
    const page = pages.find((p) => hex(p.table) === address)!;
    expect(page.role).toBe(role);
    if (role === 'leaf') {
      for (const e of n.children ?? [])
        entries.push({ leaf: Number(address), label: e.label, detail: e.detail! });
      return;
    }
    expect(n.children!.map((c) => c.label.split(' ')[1])).toEqual(page.children!.map(hex));
    n.children!.forEach(walk);
  };
  walk(root!);
  expect(seen.sort()).toEqual(pages.map((p) => `${p.role} ${hex(p.table)}`).sort());
  const open = query.handles(space);
  expect(entries.map((e) => e.label)).toEqual(open.map((h) => hex(h.handle)));
  open.forEach((h, i) => {
    const resolved = query.resolve(space, h.handle);
    if (!resolved.ok) throw new Error(`${hex(h.handle)} does not resolve`);
    const { leaf, detail } = entries[i]!;
    expect(resolved.at).toBeGreaterThanOrEqual(leaf);
    expect(resolved.at).toBeLessThan(leaf + pageSize);
    expect(detail).toBe(
      `slot ${h.index}, identifier ${h.identifier}: object ${h.object} (${h.type}${h.name === undefined ? '' : ` "${h.name}"`}), entry at ${hex(resolved.at)}`,
    );
  });
}

/**
 * Creates from a close until its slot comes back, under a reuse policy, with `spare` slots closed
 * just before it, and every handle made meanwhile closed at once (a churning program).
 */
function reuseDistance(
  reuse: HandlesOptions['reuse'],
  spare: number,
): { creates: number; soonest: number } {
  const { handles, query, space } = handlesMachine({ reuse, reuseDelay: 4 });
  const spares = Array.from({ length: spare }, () => handles.create('file'));
  const first = handles.create('file');
  spares.forEach((h) => handles.close(h));
  handles.close(first);
  const index = first % 2 ** 24;
  for (let n = 1; n <= 64; n++) {
    const handle = handles.create('file');
    if (handle % 2 ** 24 === index)
      return { creates: n, soonest: query.table(space)!.counters.reuseDistanceMin };
    handles.close(handle);
  }
  throw new Error('the slot never came back');
}

describe('what the handle tables give the tools', () => {
  it('marks refused handles as violations, for run summaries', () => {
    const { sim, events } = run();
    const marked = events.flatMap((e) => {
      const mark = sim.eventTypes.markOf(e);
      return mark ? [[e.type, mark]] : [];
    });
    expect(marked).toEqual([['handles.handle.rejected', 'violation']]);
  });

  it('shows `info handles`: every table, one table, its pages and its open handles', () => {
    const { projector, query, space, files } = run();
    const view = projector.getAll<InfoView>(InfoView).find((v) => v.name === 'handles')!;
    expect(view.usage).toMatch(/^handles \[space/);
    expect(view.show([])).toEqual(query.stats());
    expect(view.show([String(space)])).toMatchObject({
      levels: 2,
      tables: { leaf: 2, mid: 1, top: 0 },
      open: 4,
      free: 1,
      byType: { file: 3, event: 1 },
      counters: { creates: 5, closes: 1, resolves: 0, rejections: 1 },
    });
    expect(view.show([String(space), 'pages'])).toEqual([
      { table: 2 ** 37, role: 'leaf' },
      { table: 2 ** 37 + 4096, role: 'mid', children: [2 ** 37, 2 ** 37 + 8192] },
      { table: 2 ** 37 + 8192, role: 'leaf' },
    ]);
    expect(view.show([String(space), 'list'])).toEqual([
      { handle: files[0], index: 1, identifier: 0, object: 1, type: 'file', name: 'f0' },
      { handle: files[2], index: 3, identifier: 0, object: 3, type: 'file', name: 'f2' },
      { handle: files[3], index: 4, identifier: 0, object: 4, type: 'file', name: 'f3' },
      { handle: 5, index: 5, identifier: 0, object: 5, type: 'event' },
    ]);
    expect(view.format!(view.show([String(space)]))).toBe(
      [
        'space 1: 2 levels, table code 0x2000001001 (top 0x2000001000 | 1)',
        '  pages: 2 leaf, 1 mid, 0 top; 8 slots, at most 64',
        '  handles: 4 open (3 file, 1 event), 1 free slot, lifo reuse',
        '  5 made, 1 closed, 0 resolved, 1 refused; 0 slots reused, 0 values handed out again',
      ].join('\n'),
    );
    expect(view.format!(view.show([String(space), 'pages']))).toBe(
      [
        'leaf 0x2000000000',
        'mid  0x2000001000 → 0x2000000000, 0x2000002000',
        'leaf 0x2000002000',
      ].join('\n'),
    );
    expect(view.format!(view.show([String(space), 'list'])).split('\n')[0]).toBe(
      '       0x1  slot 1, identifier 0: object 1 (file "f0")',
    );
    expect(view.format!(view.show([]))).toMatch(/^space 1: 2 levels, 3 table pages/);
    expect(() => view.show(['x'])).toThrow(/Expected a space id, got "x"/);
    expect(() => view.show([String(space), 'tree'])).toThrow(/Expected "pages" or "list"/);
    expect(() => view.show(['9'])).toThrow(/Space 9 has no handle table/);
  });

  it('sums a run up in a few lines, and as data', () => {
    const { projector } = run();
    const summary = projector.getAll<SummaryLines>(SummaryLines).find((s) => s.name === 'handles')!;
    expect(summary.summary()).toEqual(projector.get(HandlesQuery).stats());
    expect(summary.lines()).toEqual([
      'space 1: 2 levels, 3 table pages; 5 handles made, 1 closed, 4 open; lifo reuse: no slot reused; no handle value repeated',
      'objects: 5 made, 4 live',
      'refused handles: 1 closed',
    ]);
  });

  it('reports how soon each reuse policy hands a closed slot out again', () => {
    // The soonest reuse is counted in table operations (creates and closes), the reusing create too.
    expect(reuseDistance('lifo', 3)).toEqual({ creates: 1, soonest: 1 });
    // Behind the three closed before it; the first of those waited for three closes and a create.
    expect(reuseDistance('fifo', 3)).toEqual({ creates: 4, soonest: 4 });
    // Not before 4 others wait behind it: 5 creates and the 4 closes between.
    expect(reuseDistance('delayed', 0)).toEqual({ creates: 5, soonest: 9 });
  });

  it('hands a handle value out again only when the slot’s identifiers wrap, and says so', () => {
    const { handles, query, space, sim } = handlesMachine({ identifierBits: 2 });
    const first = handles.create('file');
    let handle = first;
    const values = [first];
    for (let i = 0; i < 4; i++) {
      handles.close(handle);
      values.push((handle = handles.create('file')));
    }
    expect(values.slice(0, 4).map((v) => Math.floor(v / 2 ** 24))).toEqual([0, 1, 2, 3]);
    expect(values[4]).toBe(first); // the fifth handle in the slot: the first value again
    const created = [...sim.store.read(1)].filter((r) => r.type === 'handles.handle.created');
    expect(created.map((r) => (r as EventRecord<{ wrapped: boolean }>).data.wrapped)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    // The stale copy of the first handle now names the fifth object: aliasing, as reported.
    expect(query.lookup(space, first)).toBe(5);
    expect(query.table(space)!.counters).toMatchObject({
      wraps: 1,
      repeats: 1,
      repeatDistanceMin: 8, // four closes and four creates: table operations
    });
  });

  it('shows each table as a tree of its pages and open handles, and the refusals, in a panel', () => {
    const options = { leafEntries: 4, pointersPerTable: 4 };
    const m = run(options);
    const [table, objects, refused, ...rest] = panelTree(m, options);
    expect(rest).toEqual([]);
    expectTableMatchesQuery(table!, m, m.space);
    const stats = m.query.stats();
    expect(objects).toEqual({
      label: 'objects',
      detail: `${stats.objects.made} made, ${stats.objects.live} live`,
    });
    expect(refused!.children).toEqual(
      Object.entries(stats.rejections).map(([reason, n]) => ({ label: reason, detail: String(n) })),
    );
    expect(refused!.children).toEqual([{ label: 'closed', detail: '1' }]);
  });

  it('follows a table grown to three levels, and a forked child’s inherited table', () => {
    const options = { leafEntries: 4, pointersPerTable: 2 };
    const m = handlesMachine(options);
    const made = Array.from({ length: 11 }, (_, i) => m.handles.create('file', `f${i}`));
    m.handles.close(made[4]!);
    m.handles.close(made[9]!);
    const child = m.handles.fork().space;
    m.handles.create('event');
    expect(m.query.table(m.space)!.levels).toBe(3);
    const nodes = panelTree(m, options);
    expectTableMatchesQuery(nodes[0]!, m, m.space);
    expectTableMatchesQuery(nodes[1]!, m, child);
  });

  it('shows at most 200 open handles of a space, saying how many more', () => {
    const m = handlesMachine();
    for (let i = 0; i < 205; i++) m.handles.create('file');
    const [table] = panelTree(m, {});
    const [leaf] = table!.children!;
    expect(leaf!.children).toHaveLength(201);
    expect(leaf!.children!.slice(0, 200).map((n) => n.label)).toEqual(
      m.query
        .handles(m.space)
        .slice(0, 200)
        .map((h) => hex(h.handle)),
    );
    expect(leaf!.children![200]).toEqual({ label: '… 5 more open handles' });
  });
});
