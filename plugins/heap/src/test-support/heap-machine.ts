import { Simulation, type EventRecord, type LogRecord } from '@chronovisor/core';
import { createPartition, createSpace, mmuPlugin, type MmuOptions } from '@chronovisor/mmu';
import { HeapClient } from '../heap-client';
import type { HeapOptions } from '../heap-options';
import { heapPlugin } from '../heap-plugin';
import { HeapQuery } from '../heap-query';

/** A simulation with the MMU and the heap, one host space, and a client for its heap. */
export function heapMachine(
  options: HeapOptions = {},
  frames = 4096,
  mmu: MmuOptions = {},
  rollbackWindow?: number,
) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames, ...mmu }), heapPlugin(options)],
    seed: 1,
    ...(rollbackWindow === undefined ? {} : { rollbackWindow }),
  });
  sim.dispatch(createPartition, { name: 'p0', frames });
  const space = sim.dispatch(createSpace, { kind: 'host', partition: 'p0' }).value!;
  const heap = new HeapClient(sim, space);
  const query = sim.get(HeapQuery);
  /** The events recorded after `seq`. */
  const eventsAfter = (seq: number): EventRecord[] =>
    [...sim.store.read(seq + 1)].filter((r: LogRecord): r is EventRecord => r.kind === 'event');
  return { sim, space, heap, query, eventsAfter };
}
