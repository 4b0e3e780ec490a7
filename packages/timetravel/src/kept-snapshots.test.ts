import { Projector, Simulation, Xoshiro128StarStar, type Store } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { HeapClient, heapPlugin } from '@chronovisor/plugin-heap';
import { SqliteStore } from '@chronovisor/store';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KeptSnapshots, indexRun } from './kept-snapshots';
import { Timeline } from './timeline';
import * as mmu from '@chronovisor/mmu';

const plugins = () => [mmuPlugin({ frames: 512 }), heapPlugin()];
const KEY = 'mmu+heap test';

/** A run of heap work in a real run file: allocations, stores, frees, and stale loads the heap reports. */
function recordRun(file: string): number {
  const store = SqliteStore.create(file);
  const sim = new Simulation({ plugins: plugins(), seed: 7, store });
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 512 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
  const heap = new HeapClient(sim, space, 'proc:1');
  const rng = new Xoshiro128StarStar(7);
  const live: number[] = [];
  const freed: number[] = [];
  for (let i = 0; i < 600; i++) {
    const roll = rng.nextInt(0, 9);
    if (roll < 4 || live.length === 0) live.push(heap.malloc(rng.nextInt(1, 3000)));
    else if (roll < 7) heap.store(live[rng.nextInt(0, live.length - 1)]!, Uint8Array.of(i & 255));
    else if (roll < 9) {
      const [ptr] = live.splice(rng.nextInt(0, live.length - 1), 1);
      heap.free(ptr!);
      freed.push(ptr!);
    } else if (freed.length > 0)
      sim.dispatch('heap.load', {
        space,
        ptr: freed[rng.nextInt(0, freed.length - 1)]!,
        length: 1,
      });
  }
  sim.close();
  return sim.seq;
}

/** The store, counting the records read from it. */
function counting(store: Store): { store: Store; read: () => number } {
  let read = 0;
  const counted = Object.create(store) as Store;
  counted.read = function* (from, to) {
    for (const record of store.read(from, to)) {
      read++;
      yield record;
    }
  };
  return { store: counted, read: () => read };
}

describe('snapshots kept in the run file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-kept-'));
  const file = path.join(dir, 'run.db');
  const head = recordRun(file);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const digests: string[] = (() => {
    const store = SqliteStore.open(file, { readonly: true });
    const projector = new Projector(plugins(), 7);
    const out = [projector.digest()];
    for (const record of store.read(1)) {
      if (record.kind === 'event') projector.apply(record);
      out.push(projector.digest());
    }
    store.close();
    return out;
  })();

  it('let a reopened run seek anywhere to the exact state, the end without replaying', () => {
    const writer = SqliteStore.open(file);
    const summary = indexRun(writer, writer.snapshots, plugins(), {
      key: KEY,
      seed: 7,
      every: 500,
    });
    writer.close();
    expect(summary.snapshots).toBe(Math.floor(head / 500) + (head % 500 === 0 ? 0 : 1));
    expect(summary.bytes).toBeGreaterThan(0);

    const file2 = SqliteStore.open(file, { readonly: true });
    try {
      const { store, read } = counting(file2);
      const kept = new KeptSnapshots(file2.snapshots, KEY);
      expect(kept.seqs.at(-1)).toBe(head);
      const timeline = new Timeline(store, plugins(), { seed: 7, kept, snapshotEvery: 10_000 });
      expect(timeline.seek(head)).toBe(head);
      expect(read()).toBe(0);
      expect(timeline.digest()).toBe(digests[head]);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: head }), { maxLength: 20 }), (targets) => {
          for (const target of targets) {
            timeline.seek(target);
            expect(timeline.digest()).toBe(digests[target]);
          }
        }),
        { numRuns: 20 },
      );
      // Between kept snapshots a seek folds at most the records from the one before.
      const before = read();
      timeline.seek(1499);
      expect(read() - before).toBeLessThanOrEqual(499);
    } finally {
      file2.close();
    }
  });

  it('are not used by another plugin set, and a damaged one is refused, naming the fix', () => {
    const store = SqliteStore.open(file, { readonly: true });
    try {
      expect(new KeptSnapshots(store.snapshots, 'another plugin set').seqs).toEqual([]);
    } finally {
      store.close();
    }
    const db = new Database(file);
    db.prepare('UPDATE snapshots SET digest = ? WHERE seq = 1000').run('not the digest');
    db.close();
    const reopened = SqliteStore.open(file, { readonly: true });
    try {
      const timeline = new Timeline(reopened, plugins(), {
        seed: 7,
        kept: new KeptSnapshots(reopened.snapshots, KEY),
      });
      expect(() => timeline.seek(1200)).toThrow(
        /seq 1000 .*rebuild the index \(chronovisor index\)/,
      );
      expect(timeline.seek(900)).toBe(900);
      expect(timeline.digest()).toBe(digests[900]);
    } finally {
      reopened.close();
    }
  });
});
