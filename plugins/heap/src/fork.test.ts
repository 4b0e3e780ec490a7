import { fork } from '@chronovisor/mmu';
import { HeapClient, HeapViolation } from './heap-client';
import { heapMachine } from './test-support/heap-machine';

describe('a heap across fork(2)', () => {
  it('goes with the memory: the child allocates on from the parent’s state, in a copy of its own', () => {
    const { sim, space, heap, query } = heapMachine();
    const kept = heap.malloc(64);
    const stale = heap.malloc(32);
    heap.free(stale);
    const child = sim.dispatch(fork, { space }).value!;
    const childHeap = new HeapClient(sim, child);
    expect(query.blocks(child)).toEqual(query.blocks(space));
    expect(query.freeChunks(child)).toEqual(query.freeChunks(space));

    // Each allocates where the other would have: the same pointer, in its own heap.
    const inChild = childHeap.malloc(16);
    expect(heap.malloc(16)).toBe(inChild);
    // The parent's pointers are the child's too: live ones work, stale ones are caught.
    childHeap.free(kept);
    expect(query.blocks(child).some((b) => b.ptr === kept)).toBe(false);
    expect(query.blocks(space).some((b) => b.ptr === kept)).toBe(true);
    let caught: unknown;
    try {
      childHeap.free(stale);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HeapViolation);
    expect((caught as HeapViolation).violation).toMatchObject({
      kind: 'double-free',
      space: child,
    });
  });
});
