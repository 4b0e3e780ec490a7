import type { Rng, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { MemoryClient, MemoryFault } from '@chronovisor/mmu';
import { HeapClient, HeapViolation } from '@chronovisor/plugin-heap';

/**
 * A process builds a linked list on the heap, walks it at random, then frees a node and keeps
 * using it: the tagged heap stops the stale write and names the free.
 */
export default function linkedList(sim: Simulation, { rng }: { rng: Rng }): void {
  // A partition of physical frames, a process's address space in it, and a stack page.
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 256 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(mmu.map, { space, va: 0x7000_0000, pages: 1 });

  const memory = new MemoryClient(sim, 'proc:list');
  const heap = new HeapClient(sim, space, 'proc:list');

  // Each node: 8 bytes of value, 8 of next pointer (0 ends the list).
  const nodes: number[] = [];
  for (let i = 0; i < 16; i++) {
    const node = heap.malloc(16);
    heap.store(node, u64s(BigInt(i * 100), BigInt(nodes.at(-1) ?? 0)));
    nodes.push(node);
  }
  memory.writeU64(space, 0x7000_0000, BigInt(nodes.at(-1)!)); // the head, on the stack

  // Random reads through the list: every one a recorded, translated, checked load.
  for (let i = 0; i < 200; i++) heap.load(nodes[rng.nextInt(0, nodes.length - 1)]!, 8);

  // A use after free: the stale write is stopped (and recorded), and the scenario goes on.
  heap.free(nodes[5]!);
  try {
    heap.store(nodes[5]!, u64s(0xdeadn, 0n));
  } catch (error) {
    if (!(error instanceof HeapViolation)) throw error;
  }

  // An access past the mapped stack faults; the fault is recorded, and thrown here.
  try {
    memory.readU64(space, 0x7000_1000);
  } catch (error) {
    if (!(error instanceof MemoryFault)) throw error;
  }
}

/** Two 64-bit little-endian words. */
function u64s(a: bigint, b: bigint): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, a, true);
  view.setBigUint64(8, b, true);
  return bytes;
}
