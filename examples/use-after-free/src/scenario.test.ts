import { Simulation, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { HeapQuery, heapPlugin, type BlockFreed } from '@chronovisor/plugin-heap';
import useAfterFree from './scenario';

describe('the use-after-free example', () => {
  it('stops the stale write and names the free that made the pointer stale', () => {
    const sim = new Simulation({ plugins: [mmuPlugin({ frames: 1024 }), heapPlugin()], seed: 1 });
    useAfterFree(sim);
    const [violation] = sim.get(HeapQuery).violations();
    expect(violation).toMatchObject({ kind: 'use-after-free', op: 'store' });

    const records = [...sim.store.read(1)];
    const free = records.find(
      (r): r is EventRecord => r.kind === 'event' && r.type === 'heap.block.freed',
    )!;
    expect(violation!.freed!.freeSeq).toBe(free.seq);
    expect(violation!.freed!.ptr).toBe((free.data as BlockFreed).ptr);
    // Who freed it: the event's cause is logout's command.
    expect(records.find((r) => r.seq === free.cause)).toMatchObject({
      type: 'heap.free',
      actor: 'server:logout',
    });
    // The write was stopped where it happened, and who made it is on record too.
    expect(records.find((r) => r.seq === violation!.seq)).toMatchObject({ actor: 'server:admin' });
    expect(violation!.block).toBeDefined(); // the new session now in that memory
  });
});
