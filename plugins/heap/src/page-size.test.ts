import { NullStore, Simulation } from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { heapPlugin } from './heap-plugin';
import { addressOf } from './pointer';
import { heapMachine } from './test-support/heap-machine';
import { runTrace } from './trace/run-trace';
import { parseTrace } from './trace/trace-format';

const BASE = 2 ** 36;
const LAYOUT = { addressBits: 40, tagBits: 8 };

describe.each([8192, 16384])('the heap on %i-byte pages', (pageSize) => {
  // Regression: the heap put its info region on a 4 KiB page boundary of its own, which the
  // MMU's bigger pages did not start at, so the first info word was never mapped.
  it('maps its heap and info pages on the MMU’s page size, and checks through them', () => {
    const maxBytes = 5 * 4096; // on a 4 KiB boundary, not on one of these pages
    const { heap, query, space, sim } = heapMachine({ maxBytes }, 64, { pageSize });
    const p = heap.malloc(100);
    expect(addressOf(p, LAYOUT)).toBe(BASE);
    const big = heap.malloc(8000);
    heap.store(big + 7999, Uint8Array.of(7));
    expect([...heap.load(big + 7999, 1)]).toEqual([7]);
    expect(query.heap(space)).toMatchObject({ extent: 112 + 8000, liveBlocks: 2 });
    // The heap's four pages, then its info on one supervisor-only page past the largest heap.
    const mmu = sim.get(MmuQuery);
    const pages = (from: number, to: number) =>
      mmu
        .mappings(space)
        .filter((run) => run.va >= from && run.va < to)
        .reduce((n, run) => n + run.pages, 0);
    const metaBase = BASE + Math.ceil(maxBytes / pageSize) * pageSize;
    expect([pages(BASE, metaBase), pages(metaBase, Infinity)]).toEqual([
      Math.ceil(8112 / pageSize),
      1,
    ]);
    expect(mmu.translate(space, metaBase, 'read')).toMatchObject({ ok: false, kind: 'protection' });
    expect(mmu.translate(space, metaBase, 'read', true)).toMatchObject({ ok: true });
    heap.free(p);
    expect(query.info(space, BASE)).toEqual({ allocated: false, count: 1 });
    sim.dispatch('heap.load', { space, ptr: p, length: 1 });
    expect(query.violations().map((v) => v.kind)).toEqual(['use-after-free']);
  });

  it('runs a real trace clean', () => {
    const sim = new Simulation({
      plugins: [mmuPlugin({ frames: 65_536, pageSize }), heapPlugin({ policy: 'first-fit' })],
      store: new NullStore(),
    });
    const trace = parseTrace(
      readFileSync(path.join(__dirname, '../fixtures/alloc-traces/find.trace'), 'utf8'),
      'find.trace',
    );
    const report = runTrace(sim, trace, { frames: 65_536, inject: { uaf: 50, seed: 2 } });
    expect(report.violations).toEqual({});
    expect(report.injected!['use-after-free'].detected).toBe(50);
  });
});
