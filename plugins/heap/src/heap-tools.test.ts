import {
  InfoView,
  Panel,
  Projector,
  SummaryLines,
  type EventRecord,
  type PanelContent,
} from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { load } from './heap-commands';
import { heapPlugin } from './heap-plugin';
import { HeapQuery } from './heap-query';
import { tagOf } from './pointer';
import { heapMachine } from './test-support/heap-machine';

/** A small run, folded into a projector as the tools (debugger, inspect) fold a run file. */
function run() {
  const m = heapMachine({ policy: 'first-fit' }, 64);
  const [a, b] = [m.heap.malloc(100), m.heap.malloc(28)];
  m.heap.free(a);
  m.sim.dispatch(load, { space: m.space, ptr: a, length: 1 });
  m.heap.store(b, Uint8Array.of(1));
  const { projector, events } = foldedTo(m.sim, m.sim.seq);
  return { ...m, projector, events, a, b };
}

/** The run's events up to `seq` folded into a projector, as the web page folds them to its position. */
function foldedTo(sim: ReturnType<typeof heapMachine>['sim'], seq: number) {
  const projector = new Projector([mmuPlugin({ frames: 64 }), heapPlugin({ policy: 'first-fit' })]);
  const events = [...sim.store.read(1, seq)].filter((r): r is EventRecord => r.kind === 'event');
  for (const event of events) projector.apply(event);
  return { projector, events };
}

/** The heap's panel content, its sections by title. */
function heapPanel(projector: Projector): Record<string, PanelContent> {
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'heap')!;
  const content = panel.show();
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  return Object.fromEntries(content.sections.map((s) => [s.title, s.content]));
}

function rowsOf(content: PanelContent | undefined) {
  if (content?.kind !== 'table') throw new Error(`expected a table, got ${content?.kind}`);
  return content.rows;
}

describe('what the heap gives the tools', () => {
  it('marks its violations, for run summaries', () => {
    const { sim, events } = run();
    const marked = events.flatMap((e) => {
      const mark = sim.eventTypes.markOf(e);
      return mark ? [[e.type, mark]] : [];
    });
    expect(marked).toEqual([['heap.violation.detected', 'violation']]);
  });

  it('shows `info heap`: the heaps at a glance and the violations by kind', () => {
    const { projector, query } = run();
    const view = projector.getAll<InfoView>(InfoView).find((v) => v.name === 'heap')!;
    expect(view.usage).toMatch(/^heap — /);
    expect(view.show([])).toEqual(query.stats());
    expect(view.show([])).toMatchObject({
      heaps: [
        {
          space: 1,
          policy: 'first-fit',
          liveBlocks: 1,
          liveBytes: 28,
          peakLiveBytes: 128,
          extent: 144,
          counters: { allocations: 2, frees: 1, resizes: 0, violations: 1 },
        },
      ],
      violations: { 'use-after-free': 1 },
    });
  });

  it('sums a run up in a few lines, and as data', () => {
    const { projector } = run();
    const summary = projector.getAll<SummaryLines>(SummaryLines).find((s) => s.name === 'heap')!;
    expect(summary.summary()).toEqual(projector.get(HeapQuery).stats());
    expect(summary.lines()).toEqual([
      'space 1 (first-fit, 8 tag bits): 2 allocations, 1 frees; 28 bytes live in 1 blocks, peak 128 of a 144-byte heap (88.9% utilization)',
      'violations: 1 use-after-free',
    ]);
    // The figures a sweep compares: peak over extent, summed over the heaps.
    expect(summary.figures!()).toEqual({ utilization: 128 / 144, allocations: 2, violations: 1 });
  });

  it('shows each heap, its live blocks and its violations as a panel of the web page', () => {
    const { projector, events, space, a, b } = run();
    const query = projector.get(HeapQuery);
    const sections = heapPanel(projector);
    const hex = (n: number) => `0x${n.toString(16)}`;
    const seqOf = (type: string, ptr: number) =>
      events.find((e) => e.type === type && (e.data as { ptr: number }).ptr === ptr)!.seq;

    // The heap's facts are the query's summary.
    const summary = query.heap(space)!;
    const facts = sections[`space ${space} heap`]!;
    if (facts.kind !== 'facts') throw new Error('expected facts');
    expect(Object.fromEntries(facts.facts.map((f) => [f.label, f.value]))).toMatchObject({
      policy: summary.policy,
      'tag bits': summary.tagBits,
      base: hex(summary.base),
      break: hex(summary.brk),
      'live bytes': summary.liveBytes,
      'live blocks': summary.liveBlocks,
      'peak live bytes': summary.peakLiveBytes,
      allocations: summary.counters.allocations,
      frees: summary.counters.frees,
      violations: summary.counters.violations,
    });

    // One row a live block, as the query lists them; the tag is the pointer's, the seq its allocation's.
    const blocks = rowsOf(sections[`space ${space} live blocks`]);
    expect(blocks).toEqual(
      query.blocks(space).map((block) => ({
        ptr: block.ptr,
        address: `${space}:${hex(block.address)}`,
        size: block.size,
        span: block.span,
        tag: tagOf(block.ptr, { addressBits: 40, tagBits: 8 }),
        allocSeq: block.allocSeq,
      })),
    );
    expect(blocks.map((r) => [r.ptr, r.allocSeq])).toEqual([[b, seqOf('heap.block.allocated', b)]]);

    // The use after free: its own seq, and the seqs of the free and the allocation it leads to.
    const violations = rowsOf(sections['violations']);
    const [violation] = query.violations();
    expect(violations).toEqual([
      {
        seq: violation!.seq,
        kind: 'use-after-free',
        op: 'load',
        ptr: a,
        address: `${space}:${hex(violation!.address)}`,
        tag: tagOf(a, { addressBits: 40, tagBits: 8 }),
        freeSeq: violation!.freed!.freeSeq,
        allocSeq: violation!.freed!.allocSeq,
      },
    ]);
    expect(violations[0]!.seq).toBe(events.find((e) => e.type === 'heap.violation.detected')!.seq);
    expect(violations[0]!.freeSeq).toBe(seqOf('heap.block.freed', a));
    expect(violations[0]!.allocSeq).toBe(seqOf('heap.block.allocated', a));
  });

  it('shows the heap as it was at an earlier position of the page', () => {
    const { sim, a, b, events } = run();
    const freed = events.find((e) => e.type === 'heap.block.freed')!.seq;
    const sections = heapPanel(foldedTo(sim, freed - 1).projector);
    expect(rowsOf(sections['space 1 live blocks']).map((r) => r.ptr)).toEqual([a, b]);
    expect(rowsOf(sections['violations'])).toEqual([]);
  });

  it('shows at most 200 live blocks, counting the rest', () => {
    const m = heapMachine({ policy: 'first-fit' }, 64);
    const pointers = Array.from({ length: 205 }, () => m.heap.malloc(16));
    const sections = heapPanel(foldedTo(m.sim, m.sim.seq).projector);
    const blocks = sections[`space ${m.space} live blocks`]!;
    if (blocks.kind !== 'table') throw new Error('expected a table');
    expect(blocks.rows.map((r) => r.ptr)).toEqual(pointers.slice(0, 200));
    expect(blocks.more).toBe(5);
  });
});
