import {
  InfoView,
  MemoryReader,
  Panel,
  Projector,
  SummaryLines,
  type EventRecord,
  type PanelContent,
} from '@chronovisor/core';
import {
  createPartition,
  createSpace,
  fork,
  load,
  map,
  read,
  share,
  unmap,
  write,
} from './mmu-commands';
import { mmuPlugin } from './mmu-plugin';
import { MmuQuery } from './mmu-query';
import { Pte } from './pte';
import { machine } from './test-support/machine';

/** A small run, folded into a projector as the tools (debugger, inspect) fold a run file. */
function run() {
  const m = machine();
  m.ok(m.sim.dispatch(createPartition, { name: 'red', frames: 8 }));
  m.ok(m.sim.dispatch(createPartition, { name: 'blue', frames: 8 }));
  const red = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'red' }));
  const blue = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'blue' }));
  m.ok(m.sim.dispatch(map, { space: red, va: 0, pages: 2 }));
  m.ok(m.sim.dispatch(write, { space: red, va: 0x10, data: Uint8Array.of(1, 2, 3) }));
  m.ok(m.sim.dispatch(read, { space: red, va: 0x10, length: 2 }));
  m.ok(m.sim.dispatch(read, { space: red, va: 0x5000, length: 1 }));
  m.ok(m.sim.dispatch(share, { from: red, va: 0, pages: 1, to: blue, toVa: 0 }));
  const projector = new Projector([mmuPlugin({ frames: 64 })]);
  const events = [...m.sim.store.read(1)].filter((r): r is EventRecord => r.kind === 'event');
  for (const event of events) projector.apply(event);
  const view = (name: string, ...args: string[]) =>
    projector
      .getAll<InfoView>(InfoView)
      .find((v) => v.name === name)!
      .show(args);
  return { ...m, red, blue, projector, events, view };
}

describe('what the MMU gives the tools', () => {
  it('says which of its events read and write which bytes, for provenance and watchpoints', () => {
    const { sim, events, red } = run();
    const accesses = events.flatMap((e) => {
      const access = sim.eventTypes.accessOf(e);
      return access ? [[e.type, access]] : [];
    });
    expect(accesses).toEqual([
      ['mmu.memory.written', { kind: 'write', space: red, va: 0x10, length: 3, pa: 0x10 }],
      ['mmu.memory.read', { kind: 'read', space: red, va: 0x10, length: 2, pa: 0x10 }],
    ]);
  });

  it('says which of its events copy, load and free whole frames, and where an address is', () => {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'p', frames: 8 }));
    const parent = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'p' }));
    m.ok(m.sim.dispatch(map, { space: parent, va: 0, pages: 2 }));
    m.ok(m.sim.dispatch(map, { space: parent, va: 0x8000, pages: 1, lazy: true }));
    m.ok(m.sim.dispatch(load, { space: parent, va: 0x8000 }));
    const child = m.ok(m.sim.dispatch(fork, { space: parent }));
    m.ok(m.sim.dispatch(write, { space: child, va: 0x1004, data: Uint8Array.of(9) }));
    m.ok(m.sim.dispatch(unmap, { space: parent, va: 0, pages: 2 }));
    const effects = [...m.sim.store.read(1)].flatMap((r) => {
      const effect = r.kind === 'event' ? m.sim.eventTypes.framesOf(r) : undefined;
      return effect ? [[r.type, effect]] : [];
    });
    expect(effects).toEqual([
      ['mmu.page.loaded', { kind: 'fill', frame: 2, space: parent, va: 0x8000 }],
      ['mmu.cow.resolved', { kind: 'copy', from: 1, to: 3, space: child, va: 0x1000 }],
      // Frame 0 is still the child's; frame 1 is nobody's once the parent lets go.
      ['mmu.pages.unmapped', { kind: 'free', frames: [1] }],
    ]);
    const projector = new Projector([mmuPlugin({ frames: 64 })]);
    for (const r of m.sim.store.read(1)) if (r.kind === 'event') projector.apply(r);
    const [memory] = projector.getAll<MemoryReader>(MemoryReader);
    expect(memory!.pageSize).toBe(4096);
    expect(memory!.physicalAddress(child, 0x1004)).toBe(3 * 4096 + 4);
    expect(memory!.physicalAddress(child, 0x0008)).toBe(8);
    expect(memory!.physicalAddress(parent, 0x0008)).toBeUndefined(); // unmapped
    expect(memory!.physicalAddress(99, 0)).toBeUndefined(); // no such space
  });

  it('marks its faults and isolation violations, for run summaries', () => {
    const { sim, events } = run();
    const marked = events.flatMap((e) => {
      const mark = sim.eventTypes.markOf(e);
      return mark ? [[e.type, mark]] : [];
    });
    expect(marked).toEqual([
      ['mmu.fault.raised', 'fault'],
      ['mmu.isolation.violated', 'violation'],
    ]);
  });

  it('reads memory for the debugger, without recording anything', () => {
    const { projector, red } = run();
    const [memory] = projector.getAll<MemoryReader>(MemoryReader);
    expect(memory!.read(red, 0x10, 4)).toEqual(Uint8Array.of(1, 2, 3, 0));
    expect(memory!.read(red, 0x2000, 1)).toBeUndefined();
  });

  it('shows its spaces, frames, TLBs and counts as info views', () => {
    const { view, projector, red, blue } = run();
    expect(projector.getAll<InfoView>(InfoView).map((v) => v.usage)).toEqual([
      'spaces — the address spaces',
      'frames — the partitions and their frames',
      'tlb <space> — a space’s TLB entries',
      'mmu — frames used and free, sharing, TLB hits and faults',
    ]);
    expect(view('spaces')).toEqual([
      { id: red, kind: 'host', partition: 'red' },
      { id: blue, kind: 'host', partition: 'blue' },
    ]);
    expect(view('frames')).toEqual([
      { name: 'red', base: 0, frames: 8 },
      { name: 'blue', base: 8, frames: 8 },
    ]);
    expect(view('tlb', String(red))).toEqual([
      {
        vpn: 0,
        frame: 0,
        guestFrame: -1,
        flags: Pte.PRESENT | Pte.READ | Pte.WRITE | Pte.USER | Pte.ACCESSED | Pte.DIRTY,
      },
    ]);
    expect(() => view('tlb')).toThrow('expected a space id, such as tlb 1');
    expect(() => view('tlb', 'x')).toThrow('expected a space id, such as tlb 1, not "x"');
    expect(view('mmu')).toMatchObject({ sharedFrames: 0, materializedFrames: 1 });
  });

  it('sums a run up in a few lines', () => {
    const { projector } = run();
    const [summary] = projector.getAll<SummaryLines>(SummaryLines);
    expect(summary!.name).toBe('mmu');
    expect(summary!.summary()).toMatchObject({
      partitions: [
        { name: 'red', used: 2, free: 6 },
        { name: 'blue', used: 0, free: 8 },
      ],
    });
    expect(summary!.lines()).toEqual([
      'partition red: 2 of 8 frames used (from frame 0)',
      'partition blue: 0 of 8 frames used (from frame 8)',
      'frames: 0 shared, 0 copy-on-write, 1 written',
      'space 1 (host): 2 pages, TLB 50.0% hits (1 of 2), 1 faults',
      'space 2 (host): 0 pages, TLB 0.0% hits (0 of 0), 0 faults',
    ]);
    expect(summary!.figures!()).toEqual({ 'tlb hit rate': 0.5, 'page faults': 1 });
  });

  it('shows its spaces and partitions as a panel of the web page, at any position', () => {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 8 }));
    m.ok(m.sim.dispatch(createPartition, { name: 'vms', frames: 8 }));
    const host = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    const vm = m.ok(m.sim.dispatch(createSpace, { kind: 'vm', partition: 'vms' }));
    const guest = m.ok(m.sim.dispatch(createSpace, { kind: 'guest', vm }));
    m.ok(m.sim.dispatch(map, { space: host, va: 0, pages: 3 }));
    m.ok(m.sim.dispatch(map, { space: vm, va: 0, pages: 2 }));
    m.ok(m.sim.dispatch(map, { space: guest, va: 0x40_0000, pages: 1, to: 0x1000 }));
    m.ok(m.sim.dispatch(write, { space: host, va: 0x10, data: Uint8Array.of(1) }));
    m.ok(m.sim.dispatch(read, { space: host, va: 0x10, length: 1 }));
    m.ok(m.sim.dispatch(read, { space: guest, va: 0x40_0000, length: 1 }));
    const beforeFault = m.sim.seq;
    m.ok(m.sim.dispatch(read, { space: host, va: 0x8000, length: 1 })); // a fault
    const { projector, panel } = panelAt(m.sim, m.sim.seq);
    const atEnd = sectionsOf(panel.show());
    const query = projector.get(MmuQuery);
    expect(panel.title).toBe('Address spaces and partitions');

    // One row a space, as the query reports it; the guest names its VM.
    const spaces = atEnd.tables['Address spaces']!;
    expect(spaces.rows.map((r) => r.id)).toEqual([host, vm, guest]);
    for (const s of query.stats().spaces) {
      const row = spaces.rows.find((r) => r.id === s.id)!;
      const space = query.spaces().find((x) => x.id === s.id)!;
      expect(row).toMatchObject({
        kind: s.kind,
        partition: space.partition,
        vm: space.vm ?? null,
        pages: query.mappings(s.id).reduce((n, run) => n + run.pages, 0),
        tlbHits: s.tlbHits,
        tlbMisses: s.tlbMisses,
        faults: s.faults,
      });
      const lookups = s.tlbHits + s.tlbMisses;
      expect(row.tlbHitRate).toBe(
        lookups === 0 ? null : `${((100 * s.tlbHits) / lookups).toFixed(1)}%`,
      );
    }
    expect(spaces.rows.find((r) => r.id === guest)).toMatchObject({ kind: 'guest', vm });
    expect(spaces.rows.find((r) => r.id === host)!.faults).toBe(1);

    // One row a partition; used and free add up to its frames, used counting the frames mapped.
    const partitions = atEnd.tables['Partitions']!;
    expect(partitions.rows).toEqual(
      query.stats().partitions.map(({ name, base, frames, used, free }) => ({
        name,
        base,
        frames,
        used,
        free,
      })),
    );
    expect(partitions.rows.map((r) => [r.name, r.used])).toEqual([
      ['host', query.mappings(host).reduce((n, run) => n + run.pages, 0)],
      ['vms', query.mappings(vm).reduce((n, run) => n + run.pages, 0)],
    ]);
    expect(atEnd.facts['Frames']).toMatchObject({
      'page size': query.pageSize,
      written: query.stats().materializedFrames,
    });

    // Earlier in the run, the same panel shows the state then: no fault yet.
    const before = sectionsOf(panelAt(m.sim, beforeFault).panel.show());
    expect(before.tables['Address spaces']!.rows.find((r) => r.id === host)!.faults).toBe(0);
  });

  it('shows at most 200 spaces in its panel, counting the rest', () => {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'p', frames: 8 }));
    for (let i = 0; i < 205; i++)
      m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'p' }));
    const { panel } = panelAt(m.sim, m.sim.seq);
    const spaces = sectionsOf(panel.show()).tables['Address spaces']!;
    expect(spaces.rows).toHaveLength(200);
    expect(spaces.more).toBe(5);
    expect(spaces.rows.at(-1)!.id).toBe(200);
  });
});

/** The MMU's panel at `seq`: the run's events up to it folded into a projector, as the page does. */
function panelAt(sim: ReturnType<typeof machine>['sim'], seq: number) {
  const projector = new Projector([mmuPlugin({ frames: 64 })]);
  for (const r of sim.store.read(1, seq)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'mmu')!;
  return { projector, panel };
}

/** The sections of a panel's content: its tables and its facts (label → value), by title. */
function sectionsOf(content: PanelContent) {
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  const tables: Record<string, Extract<PanelContent, { kind: 'table' }>> = {};
  const facts: Record<string, Record<string, unknown>> = {};
  for (const { title, content: c } of content.sections) {
    if (c.kind === 'table') tables[title] = c;
    if (c.kind === 'facts')
      facts[title] = Object.fromEntries(c.facts.map((f) => [f.label, f.value]));
  }
  return { tables, facts };
}
