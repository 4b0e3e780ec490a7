import { panelAddress, panelTable, type Panel, type PanelContent } from '@chronovisor/core';
import { inject } from 'inversify';
import { HeapQuery, type HeapSummary } from './heap-query';
import { hex, tagOfCount } from './pointer';

/**
 * The web page's `heap` panel, at the page's position. For each space with a heap, in space
 * order:
 *
 * - **space N heap**: facts: policy, tag bits, base and break, bytes and blocks live, peak, free
 *   memory, utilization, and the counters;
 * - **space N live blocks**: each live block in address order: its tagged pointer (hex), its
 *   address (a link to the hex view), the bytes asked for and taken, its tag, and the seq of the
 *   `heap.block.allocated` that made it (a link).
 *
 * Then **violations**, in order: the seq of each `heap.violation.detected`, its kind and the
 * operation stopped, the pointer and the address it named, its tag, and for a stale pointer the
 * seq of the free of its block (`freeSeq`: "who freed this?") and of the block's allocation
 * (the freed block's, else the live block's the pointer ran into).
 */
export class HeapPanel implements Panel {
  readonly name = 'heap';
  readonly title = 'Heap blocks and violations';

  constructor(@inject(HeapQuery) private readonly heap: HeapQuery) {}

  show(): PanelContent {
    const sections: { title: string; content: PanelContent }[] = [];
    for (const summary of this.heap.heaps()) {
      sections.push({ title: `space ${summary.space} heap`, content: facts(summary) });
      sections.push({ title: `space ${summary.space} live blocks`, content: this.blocks(summary) });
    }
    sections.push({ title: 'violations', content: this.violations() });
    return { kind: 'sections', sections };
  }

  private blocks({ space, tagBits }: HeapSummary): PanelContent {
    return panelTable(
      [
        { key: 'ptr', label: 'pointer', format: 'hex' },
        { key: 'address', label: 'address', format: 'address' },
        { key: 'size', label: 'size', format: 'number' },
        { key: 'span', label: 'bytes taken', format: 'number' },
        { key: 'tag', label: 'tag', format: 'number' },
        { key: 'allocSeq', label: 'allocated at', format: 'seq' },
      ],
      this.heap.blocks(space),
      (b) => ({
        ptr: b.ptr,
        address: panelAddress(space, b.address),
        size: b.size,
        span: b.span,
        tag: tagOfCount(b.count, tagBits),
        allocSeq: b.allocSeq,
      }),
      { empty: 'no live blocks' },
    );
  }

  private violations(): PanelContent {
    return panelTable(
      [
        { key: 'seq', label: 'seq', format: 'seq' },
        { key: 'kind', label: 'kind' },
        { key: 'op', label: 'operation' },
        { key: 'ptr', label: 'pointer', format: 'hex' },
        { key: 'address', label: 'address', format: 'address' },
        { key: 'tag', label: 'tag', format: 'number' },
        { key: 'freeSeq', label: 'freed at', format: 'seq' },
        { key: 'allocSeq', label: 'allocated at', format: 'seq' },
      ],
      this.heap.violations(),
      (v) => ({
        seq: v.seq,
        kind: v.kind,
        op: v.op,
        ptr: v.ptr,
        address: panelAddress(v.space, v.address),
        tag: v.tag,
        freeSeq: v.freed?.freeSeq ?? null,
        allocSeq: (v.freed ?? v.block)?.allocSeq ?? null,
      }),
      { empty: 'no violations' },
    );
  }
}

function facts(h: HeapSummary): PanelContent {
  const { allocations, frees, resizes, violations } = h.counters;
  return {
    kind: 'facts',
    facts: [
      { label: 'policy', value: h.policy },
      { label: 'tag bits', value: h.tagBits },
      { label: 'base', value: hex(h.base) },
      { label: 'break', value: hex(h.brk) },
      { label: 'extent (bytes)', value: h.extent },
      { label: 'live bytes', value: h.liveBytes },
      { label: 'live blocks', value: h.liveBlocks },
      { label: 'peak live bytes', value: h.peakLiveBytes },
      { label: 'free bytes', value: h.freeBytes },
      { label: 'free chunks', value: h.freeChunks },
      { label: 'utilization', value: `${(h.utilization * 100).toFixed(1)}%` },
      { label: 'allocations', value: allocations },
      { label: 'frees', value: frees },
      { label: 'resizes', value: resizes },
      { label: 'violations', value: violations },
    ],
  };
}
