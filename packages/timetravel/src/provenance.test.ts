import { MemoryStore, Simulation, Xoshiro128StarStar, type LogRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { HeapClient, heapPlugin } from '@chronovisor/plugin-heap';
import { Timeline } from './timeline';
import * as mmu from '@chronovisor/mmu';

const plugins = () => [mmuPlugin({ frames: 256 }), heapPlugin()];

describe('provenance and diff', () => {
  it('traces a byte through a realloc copy back to the store that wrote it', () => {
    const store = new MemoryStore();
    const sim = new Simulation({ plugins: plugins(), store });
    sim.dispatch(mmu.createPartition, { name: 'p', frames: 256 });
    const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
    const heap = new HeapClient(sim, space, 'proc:1');
    const a = heap.malloc(32);
    heap.malloc(16); // a neighbour, so realloc has to move the block
    heap.store(a + 4, Uint8Array.of(0xaa, 0xbb));
    const stored = sim.seq;
    const b = heap.realloc(a, 5000);
    const timeline = new Timeline(store, plugins());
    timeline.seek(store.head());
    const address = (ptr: number) => ptr % 2 ** 40;
    const chain = timeline.why(space, address(b) + 5);
    expect(chain).toHaveLength(2);
    expect(chain[0]!.write).toMatchObject({ kind: 'write', actor: 'plugin:heap' });
    expect(chain[0]!.copiedFrom).toMatchObject({ space, va: address(a) + 5 });
    expect(chain[0]!.command).toMatchObject({ type: 'heap.realloc', actor: 'proc:1' });
    expect(chain[1]!.command).toMatchObject({ type: 'heap.store', actor: 'proc:1' });
    expect(chain[1]!.write).toMatchObject({
      seq: stored,
      actor: 'plugin:heap',
      va: address(a) + 4,
      length: 2,
    });
    expect(chain[1]!.copiedFrom).toBeUndefined();
    // Before the store, the byte had no write at all.
    timeline.seek(stored - 1);
    expect(timeline.lastWrite(space, address(a) + 5)).toBeUndefined();
  });

  it('finds last writes and histories as a brute-force scan does, and diffs what changed', () => {
    const store = new MemoryStore();
    const sim = new Simulation({ plugins: [mmuPlugin({ frames: 64 })], store });
    sim.dispatch(mmu.createPartition, { name: 'p', frames: 64 });
    const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
    sim.dispatch(mmu.map, { space, va: 0, pages: 2 });
    const rng = new Xoshiro128StarStar(3);
    for (let i = 0; i < 600; i++) {
      const va = rng.nextInt(0, 8191 - 8);
      if (rng.nextInt(0, 1))
        sim.dispatch(mmu.write, { space, va, data: new Uint8Array(rng.nextInt(1, 8)).fill(i) });
      else sim.dispatch(mmu.read, { space, va, length: rng.nextInt(1, 8) });
    }
    const records: LogRecord[] = [...store.read(1)];
    const timeline = new Timeline(store, [mmuPlugin({ frames: 64 })], { snapshotEvery: 100 });
    const accessOf = timeline.accessOf;
    const touches = (r: LogRecord, va: number) => {
      const a = accessOf(r);
      return a !== undefined && a.va <= va && va < a.va + a.length;
    };
    for (let k = 0; k < 40; k++) {
      const va = rng.nextInt(0, 8191);
      const at = rng.nextInt(0, records.length);
      timeline.seek(at);
      const brute = records
        .slice(0, at)
        .filter((r) => r.type === 'mmu.memory.written' && touches(r, va))
        .at(-1);
      expect(timeline.lastWrite(space, va)?.seq).toBe(brute?.seq);
      expect(timeline.history(space, va).map((t) => t.access.seq)).toEqual(
        records.filter((r) => touches(r, va)).map((r) => r.seq),
      );
    }

    const [from, to] = [300, 900];
    timeline.seek(50);
    const diff = timeline.diff(to, from);
    expect(timeline.seq).toBe(50);
    expect(diff).toMatchObject({ from, to, projections: ['mmu'] });
    expect(Object.values(diff.byType).reduce((n, c) => n + c, 0)).toBe(to - from);
    const written = new Set<number>();
    for (const r of records.slice(from, to)) {
      const a = accessOf(r);
      if (a?.kind === 'write') for (let i = 0; i < a.length; i++) written.add(a.va + i);
    }
    const covered = new Set<number>();
    for (const range of diff.written)
      for (let i = 0; i < range.length; i++) covered.add(range.va + i);
    expect([...covered].sort((x, y) => x - y)).toEqual([...written].sort((x, y) => x - y));
    expect(timeline.diff(from, from).projections).toEqual([]);
  });
});
