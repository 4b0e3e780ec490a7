import { createSpace } from '@chronovisor/mmu';
import { free, load, malloc } from './heap-commands';
import type { HeapOptions } from './heap-options';
import { HeapState } from './heap-state';
import { heapMachine } from './test-support/heap-machine';

/** The heap projection's digest after running `program` on a fresh machine. */
function digestAfter(
  program: (m: ReturnType<typeof heapMachine>) => void,
  options: HeapOptions = {},
): string {
  const m = heapMachine(options);
  program(m);
  return m.sim.get(HeapState).digest();
}

describe('the heap digest', () => {
  // Regression: it hashed the violations by their number only, and no heap's layout, so
  // different heaps could digest alike.
  it('tells different heaps apart', () => {
    const digests = [
      digestAfter(() => undefined),
      digestAfter(({ heap }) => heap.malloc(16)),
      digestAfter(({ heap }) => heap.malloc(32)),
      digestAfter(({ heap }) => heap.free(heap.malloc(16))),
      digestAfter(({ heap }) => heap.malloc(16), { tagBits: 4 }),
      digestAfter(({ heap }) => heap.malloc(16), { policy: 'first-fit' }),
      digestAfter(({ sim, space }) => sim.dispatch(malloc, { space, size: 16, ref: 1 })),
      digestAfter(({ sim, space }) => sim.dispatch(malloc, { space, size: 16, ref: 2 })),
      // The same number of violations, of different kinds.
      digestAfter(({ sim, space, heap }) => {
        const p = heap.malloc(16);
        heap.free(p);
        sim.dispatch(free, { space, ptr: p });
      }),
      digestAfter(({ sim, space, heap }) => {
        const p = heap.malloc(16);
        heap.free(p);
        sim.dispatch(load, { space, ptr: p, length: 1 });
      }),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('is the same for the same state, however it was reached', () => {
    const program = ({ heap }: ReturnType<typeof heapMachine>) => {
      const [a, b] = [heap.malloc(40), heap.malloc(8)];
      heap.free(a);
      heap.realloc(b, 100);
    };
    expect(digestAfter(program)).toBe(digestAfter(program));

    // Through a snapshot, other work, and a restore.
    const m = heapMachine();
    program(m);
    const state = m.sim.get(HeapState);
    const before = state.digest();
    const snapshot = state.snapshot();
    m.heap.free(m.heap.malloc(24));
    expect(state.digest()).not.toBe(before);
    state.restore(snapshot);
    expect(state.digest()).toBe(before);

    // And through a snapshot kept as plain data.
    state.restore(state.snapshotFromData(structuredClone(state.snapshotToData(snapshot))));
    expect(state.digest()).toBe(before);
  });

  it('covers every heap, in the order of their spaces', () => {
    const m = heapMachine({}, 64);
    const other = m.sim.dispatch(createSpace, { kind: 'host', partition: 'p0' }).value!;
    m.heap.malloc(16);
    const one = m.sim.get(HeapState).digest();
    m.sim.dispatch(malloc, { space: other, size: 16 });
    expect(m.sim.get(HeapState).digest()).not.toBe(one);
  });
});

describe('heap snapshots', () => {
  it('take the roots of the heap’s maps: O(1), and a write after copies a path, not the heap', () => {
    const { sim, space } = heapMachine({ policy: 'first-fit' }, 65_536);
    for (let ref = 0; ref < 20_000; ref++) sim.dispatch(malloc, { space, size: 32, ref });
    for (let ref = 0; ref < 20_000; ref += 2) sim.dispatch(free, { space, ref });
    const state = sim.get(HeapState);
    const heap = state.heap(space)!;
    const snapshot = state.snapshot();
    const version = snapshot.heaps.get(space)!;
    // Held as they are, not copied: taken again with no write between, the very same maps.
    const again = state.snapshot().heaps.get(space)!;
    expect(again.blocks).toBe(version.blocks);
    expect(again.freed).toBe(version.freed);
    expect(again.chunks.map).toBe(version.chunks.map);

    const made = state.allocatedBytes();
    sim.dispatch(malloc, { space, size: 32, ref: 0 });
    // The heap holds 10,000 blocks, 10,000 freed ones and 10,000 chunks; the write after the
    // snapshot made a few paths of a few nodes each (an estimate, see heap-footprint).
    expect(state.allocatedBytes() - made).toBeLessThan(20_000);
    expect(state.heap(space)).toBe(heap); // the same object, changed in place
    expect(heap.blocks.size).toBe(10_001);
    expect(version.blocks.size).toBe(10_000); // and the snapshot's version unchanged
    expect(
      state.snapshotBytes([snapshot, state.snapshot()]) - state.snapshotBytes([snapshot]),
    ).toBeLessThan(20_000);
  });
});
