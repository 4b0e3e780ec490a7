import { InfoView, Projector, SummaryLines, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { load } from './heap-commands';
import { heapPlugin } from './heap-plugin';
import { HeapQuery } from './heap-query';
import { heapMachine } from './test-support/heap-machine';

/** A small run, folded into a projector as the tools (debugger, inspect) fold a run file. */
function run() {
  const m = heapMachine({ policy: 'first-fit' }, 64);
  const [a, b] = [m.heap.malloc(100), m.heap.malloc(28)];
  m.heap.free(a);
  m.sim.dispatch(load, { space: m.space, ptr: a, length: 1 });
  m.heap.store(b, Uint8Array.of(1));
  const projector = new Projector([mmuPlugin({ frames: 64 }), heapPlugin({ policy: 'first-fit' })]);
  const events = [...m.sim.store.read(1)].filter((r): r is EventRecord => r.kind === 'event');
  for (const event of events) projector.apply(event);
  return { ...m, projector, events };
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
  });
});
