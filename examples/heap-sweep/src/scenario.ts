import type { Rng, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { HeapClient, HeapViolation } from '@chronovisor/plugin-heap';

/** Steps of the program: each a malloc, a free, or a write through a pointer it keeps. */
const STEPS = 4_000;
/** The most blocks it holds at once. */
const LIVE = 96;

/**
 * A program that churns its heap: blocks of mixed sizes (mostly small, a few of pages) are
 * allocated and freed in a random order, so the policy decides how the heap fragments. Now and
 * then it writes through a pointer it freed earlier (a stale copy kept in some table): the heap
 * catches the write when the pointer's tag no longer matches the memory's, and with few tag bits
 * a tag comes round again and some stale writes go unseen.
 */
export default function heapChurn(sim: Simulation, { rng }: { rng: Rng }): void {
  sim.dispatch(mmu.createPartition, { name: 'app', frames: 3072 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'app' }).value!;
  const heap = new HeapClient(sim, space, 'app');
  const live: number[] = [];
  const stale: number[] = [];
  const size = () => (rng.nextInt(0, 9) === 0 ? rng.nextInt(1024, 8192) : rng.nextInt(8, 256));
  for (let step = 0; step < STEPS; step++) {
    const roll = rng.nextInt(0, 99);
    if (roll < 2 && stale.length > 0) {
      const ptr = stale[rng.nextInt(0, stale.length - 1)]!;
      try {
        heap.store(ptr, Uint8Array.of(0xde, 0xad));
      } catch (error) {
        if (!(error instanceof HeapViolation)) throw error;
      }
    } else if ((roll < 55 || live.length === 0) && live.length < LIVE) {
      const ptr = heap.malloc(size());
      heap.store(ptr, Uint8Array.of(step & 0xff));
      live.push(ptr);
    } else {
      const [ptr] = live.splice(rng.nextInt(0, live.length - 1), 1);
      heap.free(ptr!);
      if (stale.length < 16) stale.push(ptr!);
      else stale[rng.nextInt(0, 15)] = ptr!;
    }
  }
}
