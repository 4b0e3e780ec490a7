import { MemoryStore, Projector, Simulation, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { heapPlugin } from './heap-plugin';
import { HeapQuery } from './heap-query';
import { HeapState, type HeapSnapshot } from './heap-state';
import { runTrace } from './trace/run-trace';
import { parseTrace } from './trace/trace-format';

const trace = parseTrace(
  readFileSync(path.join(__dirname, '../fixtures/alloc-traces/grep-recursive.trace'), 'utf8'),
  'grep-recursive.trace',
);
const plugins = () => [
  mmuPlugin({ frames: 65_536 }),
  heapPlugin({ policy: 'first-fit', tagBits: 4 }),
];

describe('heap state from the log', () => {
  const store = new MemoryStore();
  const sim = new Simulation({ plugins: plugins(), seed: 2, store, digestInterval: 0 });
  runTrace(sim, trace, {
    frames: 65_536,
    inject: { uaf: 200, doubleFree: 200, invalidFree: 50, seed: 9 },
  });
  const events = [...store.read(1)].filter((r): r is EventRecord => r.kind === 'event');

  it('is rebuilt by folding the events alone: the same digest, heaps and violations', () => {
    const projector = new Projector(plugins(), 2);
    for (const event of events) projector.apply(event);
    expect(projector.digest()).toBe(sim.digest());
    const [live, replayed] = [sim.get(HeapQuery), projector.get(HeapQuery)];
    expect(replayed.heaps()).toEqual(live.heaps());
    expect(replayed.violations()).toEqual(live.violations());
    expect(replayed.freeChunks(1)).toEqual(live.freeChunks(1));
  });

  it('restores snapshots untouched by what was applied after them', () => {
    const projector = new Projector(plugins(), 2);
    const half = events.length >> 1;
    events.slice(0, half).forEach((e) => projector.apply(e));
    const snapshot = projector.snapshot();
    const atHalf = projector.digest();
    events.slice(half).forEach((e) => projector.apply(e));
    const atEnd = projector.digest();
    for (let round = 0; round < 2; round++) {
      projector.restore(snapshot);
      expect(projector.digest()).toBe(atHalf);
      events.slice(half).forEach((e) => projector.apply(e));
      expect(projector.digest()).toBe(atEnd);
    }
  });

  it('tells what its snapshots hold, growing with each by no more than the state made since', () => {
    const projector = new Projector(plugins(), 2);
    const state = projector.get(HeapState);
    const snapshots: HeapSnapshot[] = [];
    let held = 0;
    let mark = state.allocatedBytes(); // what was made when a snapshot was last taken or restored
    let step = 0;
    for (const event of events) {
      projector.apply(event);
      if (++step % 97 !== 0) continue;
      const here = state.snapshot();
      snapshots.push(here);
      const now = state.snapshotBytes(snapshots);
      expect(now).toBeLessThanOrEqual(held + state.allocatedBytes() - mark);
      expect(now).toBeGreaterThan(held); // the heap changed since the last one
      [held, mark] = [now, state.allocatedBytes()];
      if (step % 3 === 0) {
        // Away to an older one and back (events go on from here): what they hold is unmoved.
        state.restore(snapshots[(step >> 3) % snapshots.length]!);
        expect(state.snapshotBytes(snapshots)).toBe(held);
        state.restore(here);
        mark = state.allocatedBytes();
      }
    }
    expect(snapshots.length).toBeGreaterThan(10);
    expect(state.snapshotBytes([...snapshots, ...snapshots])).toBe(held);
  });
});
