import { MemoryStore, Projector, Simulation, canonicalJson } from '@chronovisor/core';
import { createPartition, createSpace, mmuPlugin } from '@chronovisor/mmu';
import { free, malloc } from './heap-commands';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { heapPlugin } from './heap-plugin';
import { HeapQuery } from './heap-query';
import { HeapState } from './heap-state';
import { runTrace } from './trace/run-trace';
import { parseTrace } from './trace/trace-format';

const TRACES = path.join(__dirname, '../fixtures/alloc-traces');
const load = (file: string) => parseTrace(readFileSync(path.join(TRACES, file), 'utf8'), file);

/** A trace run recorded in memory, with the kernel checkpointing every `rollbackWindow` events. */
function run(file: string, rollbackWindow?: number) {
  const store = new MemoryStore();
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 65_536 }), heapPlugin({ policy: 'best-fit' })],
    seed: 4,
    store,
    digestInterval: 500,
    ...(rollbackWindow === undefined ? {} : { rollbackWindow }),
  });
  // runTrace throws on the first refused command, naming its line.
  const report = runTrace(sim, load(file), {
    frames: 65_536,
    inject: { uaf: 20, doubleFree: 20, invalidFree: 20, seed: 1 },
  });
  sim.close();
  const records = [...store.read(1)];
  return { sim, store, report, records, heaps: sim.get(HeapQuery).heaps() };
}

/** Events between the kernel's checkpoints, against its default of 262,144. */
const WINDOW = 500;

describe('kernel checkpoints in the middle of a run', () => {
  // Regression: the allocator held a heap across its emits while the projection copied that heap
  // on the first change after a checkpoint, so it went on with the stale copy: the first
  // allocation after each checkpoint was refused, or grew the heap 64 times.
  it.each(['source-map.trace', 'find.trace'])(
    'leave %s running as without them: the same records, digests and heaps',
    (file) => {
      const often = run(file, WINDOW);
      const rarely = run(file);
      const events = often.records.filter((r) => r.kind === 'event').length;
      expect(events).toBeGreaterThan(4 * WINDOW); // so that several checkpoints were taken
      expect(often.records.filter((r) => r.kind === 'command' && r.rejection)).toEqual([]);
      expect(often.records).toHaveLength(rarely.records.length);
      expect(canonicalJson(often.records)).toBe(canonicalJson(rarely.records));
      expect(often.store.digests()).toEqual(rarely.store.digests());
      expect(often.heaps).toEqual(rarely.heaps);
      expect(often.report).toEqual(rarely.report);
    },
  );

  it('restore the live heaps when a command that emitted is refused, for the next to use', () => {
    // 10 frames: eight heap pages and their info page fill nine; a ninth heap page fits, but the
    // info page it needs does not, so a growing malloc is refused after it mapped (and emitted).
    const sim = new Simulation({
      plugins: [mmuPlugin({ frames: 10 }), heapPlugin({ policy: 'first-fit' })],
      rollbackWindow: 3,
    });
    sim.dispatch(createPartition, { name: 'p', frames: 10 });
    const space = sim.dispatch(createSpace, { kind: 'host', partition: 'p' }).value!;
    const restores = jest.spyOn(sim.get(HeapState), 'restore');
    for (let ref = 0; ref < 8; ref++)
      expect(sim.dispatch(malloc, { space, size: 4096, ref }).ok).toBe(true);
    for (let round = 0; round < 40; round++) {
      const refused = sim.dispatch(malloc, { space, size: 16 });
      expect(refused.rejection?.message).toMatch(/free frames/);
      expect(sim.dispatch(free, { space, ref: round % 8 }).value).toEqual({ ok: true });
      expect(sim.dispatch(malloc, { space, size: 4096, ref: round % 8 }).ok).toBe(true);
    }
    expect(restores.mock.calls.length).toBeGreaterThanOrEqual(40);
    const query = sim.get(HeapQuery);
    expect(query.heap(space)).toMatchObject({
      extent: 8 * 4096,
      liveBlocks: 8,
      counters: { allocations: 48, frees: 40, resizes: 0, violations: 0 },
    });
    const projector = new Projector([
      mmuPlugin({ frames: 10 }),
      heapPlugin({ policy: 'first-fit' }),
    ]);
    for (const record of sim.store.read(1)) if (record.kind === 'event') projector.apply(record);
    expect(projector.digest()).toBe(sim.digest());
  });
});
