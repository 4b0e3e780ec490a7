import {
  MemoryMap,
  MemoryReader,
  Projector,
  Simulation,
  Xoshiro128StarStar,
  type LogRecord,
} from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import * as mmu from '@chronovisor/mmu';
import { heapPlugin } from '@chronovisor/plugin-heap';
import * as heap from '@chronovisor/plugin-heap';
import { BATCH_RECORDS, SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiInputError, Params } from './api-input';
import { RunApi, storedRunSource } from './run-api';

const SEED = 7;
const plugins = () => [mmuPlugin({ frames: 128 }), heapPlugin()];
const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ui-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A run in a real SQLite file: random writes and reads over a space and its copy-on-write fork,
 * maps and unmaps, and a heap whose block is used after it was freed (a violation).
 */
function recordRun(file: string): void {
  const store = SqliteStore.create(file);
  const sim = new Simulation({ plugins: plugins(), seed: SEED, store });
  const rng = new Xoshiro128StarStar(SEED);
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 128 });
  const parent = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
  sim.dispatch(mmu.map, { space: parent, va: 0, pages: 8 });
  for (let i = 0; i < 300; i++)
    sim.dispatch(mmu.write, {
      space: parent,
      va: rng.nextInt(0, 8 * 4096 - 2),
      data: Uint8Array.of(i),
    });
  const child = sim.dispatch(mmu.fork, { space: parent }).value!;
  const spaces = [parent, child];
  for (let i = 0; i < 3000; i++) {
    const space = spaces[rng.nextInt(0, 1)]!;
    const page = rng.nextInt(0, 9);
    const roll = rng.nextInt(0, 29);
    if (roll === 0) sim.dispatch(mmu.map, { space, va: page * 4096, pages: 1 });
    else if (roll === 1) sim.dispatch(mmu.unmap, { space, va: page * 4096, pages: 1 });
    else if (roll < 15)
      sim.dispatch(mmu.write, {
        space,
        va: page * 4096 + rng.nextInt(0, 4000),
        data: Uint8Array.of(i & 255, i >> 8),
      });
    else sim.dispatch(mmu.read, { space, va: page * 4096 + rng.nextInt(0, 4000), length: 4 });
  }
  const ptr = sim.dispatch(heap.malloc, { space: parent, size: 64 }).value!;
  sim.dispatch(heap.store, { space: parent, ptr, data: Uint8Array.of(1, 2, 3) });
  sim.dispatch(heap.free, { space: parent, ptr });
  sim.dispatch(heap.load, { space: parent, ptr, length: 1 });
  sim.close();
}

const file = path.join(dir, 'run.db');
recordRun(file);
const store = SqliteStore.open(file, { readonly: true });
afterAll(() => store.close());
const records: LogRecord[] = [...store.read(1)];
const head = records.length;
const timeline = new Timeline(store, plugins(), { seed: SEED });
const api = new RunApi(storedRunSource(file, store), timeline, plugins());
const ask = (query: Record<string, string | number | readonly string[] | undefined>) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
      params.append(key, String(one));
  return new Params(params);
};

/** The state after `seq`, by brute force: a projector folding the run from its start. */
function replayedTo(seq: number): Projector {
  const projector = new Projector(plugins(), SEED);
  for (const record of records.slice(0, seq)) if (record.kind === 'event') projector.apply(record);
  return projector;
}

const markOf = (r: LogRecord) =>
  r.kind === 'event' ? timeline.eventTypes.declaration(r.type)?.marks : undefined;

describe('the page API over a real run file', () => {
  it('overviews the run: each plugin’s records per bucket and every mark, scanned in steps', () => {
    // Scanned a little at a time, as the server does between requests.
    while (!api.scan.advance(500));
    for (const buckets of [1, 7, 100, head, head * 3]) {
      const overview = api.overview(ask({ buckets }));
      expect(overview.ready).toBe(true);
      const expected: Record<string, number[]> = {};
      const count = Math.ceil(head / overview.bucketSize);
      for (const r of records) {
        const plugin = r.type.startsWith('heap.')
          ? 'heap'
          : r.type.startsWith('mmu.')
            ? 'mmu'
            : 'core';
        (expected[plugin] ??= new Array<number>(count).fill(0))[
          Math.floor((r.seq - 1) / overview.bucketSize)
        ]!++;
      }
      expect(overview.counts).toEqual(expected);
    }
    const marks = records
      .filter((r) => markOf(r))
      .map((r) => ({ seq: r.seq, mark: markOf(r), type: r.type }));
    expect(marks.some((m) => m.mark === 'violation')).toBe(true);
    expect(api.overview(ask({})).marks).toEqual(marks);
  });

  it('serves windows of records, forwards and backwards, and filtered windows page by page', () => {
    const window = api.records(ask({ from: 10, count: 25 }));
    expect(window.records.map((r) => r.seq)).toEqual(records.slice(9, 34).map((r) => r.seq));
    expect(window.next).toBe(35);
    expect(
      api.records(ask({ from: 30, count: 25, backwards: 1 })).records.map((r) => r.seq),
    ).toEqual(records.slice(5, 30).map((r) => r.seq));
    const filters: { type?: string; actor?: string; mark?: number }[] = [
      { type: 'mmu.cow.' },
      { type: 'heap.' },
      { mark: 1 },
      { actor: 'user', type: 'mmu.fork' },
    ];
    for (const filter of filters) {
      const expected = records
        .filter(
          (r) =>
            (filter.type === undefined ||
              (filter.type.endsWith('.')
                ? r.type.startsWith(filter.type)
                : r.type === filter.type)) &&
            (filter.actor === undefined || r.actor === filter.actor) &&
            (filter.mark === undefined || markOf(r) !== undefined),
        )
        .map((r) => r.seq);
      const forwards: number[] = [];
      for (let from: number | undefined = 1; from !== undefined;) {
        const page = api.records(ask({ from, count: 7, ...filter }));
        forwards.push(...page.records.map((r) => r.seq));
        from = page.next;
      }
      expect(forwards).toEqual(expected);
      const backwards: number[] = [];
      for (let from: number | undefined = head; from !== undefined;) {
        const page = api.records(ask({ from, count: 7, backwards: 1, ...filter }));
        backwards.unshift(...page.records.map((r) => r.seq));
        from = page.next;
      }
      expect(backwards).toEqual(expected);
    }
  });

  it('shows memory and the memory map at any seq as replaying the run to that seq does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: head }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 10 * 4096 - 300 }),
        (seq, space, va) => {
          const replayed = replayedTo(seq);
          const memory = api.memory(ask({ seq, space, va, length: 300 }));
          const reader = replayed.getAll<MemoryReader>(MemoryReader)[0]!;
          const byte = (at: number) => {
            try {
              return reader.read(space, at, 1)?.[0] ?? null;
            } catch {
              return null; // no such space yet
            }
          };
          const expected = Array.from({ length: 300 }, (_, i) => byte(va + i));
          expect(memory.bytes).toEqual(expected);
          const map = api.memoryMap(ask({ seq }));
          expect(map.seq).toBe(seq);
          expect({ ...map, seq: undefined }).toEqual({
            seq: undefined,
            ...replayed.getAll<MemoryMap>(MemoryMap)[0]!.layout(),
          });
          const stats = replayed.get(MmuQuery).stats();
          for (const partition of map.partitions) {
            expect(partition.states.reduce((n, [, count]) => n + count, 0)).toBe(partition.frames);
            const free = partition.states
              .filter(([s]) => s === 'free')
              .reduce((n, [, c]) => n + c, 0);
            expect(free).toBe(stats.partitions.find((p) => p.name === partition.name)!.free);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('warms the timeline up a step at a time, answering the same between steps', () => {
    const warm = new RunApi(
      storedRunSource(file, store),
      new Timeline(store, plugins(), { seed: SEED, snapshotEvery: 256 }),
      plugins(),
    );
    const rng = new Xoshiro128StarStar(3);
    // The model: the pass goes 300 records a step, and a request past it takes it there.
    let warmed = 0;
    for (;;) {
      warmed = Math.min(head, warmed + 300);
      expect(warm.warmUp(300)).toBe(warmed === head);
      if (warmed === head) break;
      // A request between steps goes where it asks, and sees the state replay gives there.
      const seq = rng.nextInt(0, Math.min(head, warmed + 900));
      const expected = replayedTo(seq).getAll<MemoryMap>(MemoryMap)[0]!.layout();
      expect(warm.memoryMap(ask({ seq }))).toEqual({ seq, ...expected });
      warmed = Math.max(warmed, seq);
    }
    expect(warm.warmUp(300)).toBe(true);
  });

  it('runs to watchpoints and breakpoints in both directions, as a scan of the records finds them', () => {
    // A byte written in the run and still mapped at its end, in the space that wrote it.
    const access = records
      .filter((r) => r.type === 'mmu.memory.written')
      .map((r) => timeline.accessOf(r)!)
      .reverse()
      .find(
        (a) =>
          api.memory(ask({ seq: head, space: a.space, va: a.va, length: 1 })).bytes[0] !== null,
      )!;
    // Backwards from the end to the last write of that byte through its own space.
    const found = api.continue(
      ask({
        seq: head,
        direction: 'backward',
        stop: `watch:write:${access.space}:0x${access.va.toString(16)}:1`,
      }),
    );
    expect(found.stopped).toBeDefined();
    expect(timeline.accessOf(records[found.seq - 1]!)).toBeDefined();
    const last = api.lastWrite(ask({ seq: head, space: access.space, va: access.va }));
    expect(last.write?.seq).toBe(found.seq);
    const violation = records.find((r) => markOf(r) === 'violation')!;
    const broke = api.continue(
      ask({ seq: 0, stop: ['break:nothing.here', 'break:heap.violation.'] }),
    );
    expect(broke).toMatchObject({ seq: violation.seq, stopped: { by: [1] } });
    expect(api.continue(ask({ seq: 0, stop: 'break:nothing.here' }))).toEqual({ seq: head });
  });

  it('names the record at a seq with its cause chain, outermost first', () => {
    const event = records.find(
      (r) => r.kind === 'event' && r.cause > 0 && r.type === 'mmu.cow.resolved',
    )!;
    const position = api.seek(ask({ seq: event.seq }));
    expect(position.record?.seq).toBe(event.seq);
    expect(position.causes.at(-1)!.seq).toBe(event.cause);
    expect(api.seek(ask({ seq: 0 }))).toEqual({ seq: 0, causes: [] });
  });

  it('traces a byte back through a copy-on-write copy to its write', () => {
    // Written once before the fork, by the parent, and by no one after until a copy-on-write
    // fault copied its page: its provenance is that copy, then that write.
    const writes = records
      .filter((r) => r.type === 'mmu.memory.written')
      .map((r) => timeline.accessOf(r)!);
    const fork = records.find((r) => r.type === 'mmu.fork')!.seq;
    const cases = records
      .filter((r) => r.type === 'mmu.cow.resolved')
      .flatMap((cow) => {
        const { space, va } = (cow as { data: { space: number; va: number } }).data;
        const page = Math.floor(va / 4096);
        return writes
          .filter((w) => w.seq < fork && Math.floor(w.va / 4096) === page && w.length === 1)
          .filter(
            (w) =>
              !writes.some(
                (later) =>
                  later.seq > w.seq &&
                  later.seq < cow.seq &&
                  later.va <= w.va &&
                  w.va < later.va + later.length,
              ),
          )
          .map((w) => ({ cow: cow.seq, space, write: w }));
      });
    expect(cases.length).toBeGreaterThan(0);
    for (const { cow, space, write } of cases.slice(0, 20)) {
      const why = api.why(ask({ seq: cow, space, va: write.va }));
      expect(why.steps.map((s) => [s.how, s.seq])).toEqual([
        ['copy', cow],
        ['write', write.seq],
      ]);
      expect(why.steps[1]!.text).toContain(`written at seq ${write.seq}`);
    }
  });

  it('on an altered run, overviews what it can read and names the altered batch', () => {
    const altered = path.join(dir, 'altered.db');
    recordRun(altered);
    const db = new Database(altered);
    const row = db
      .prepare('SELECT first_seq, bytes FROM batches ORDER BY first_seq LIMIT 1 OFFSET 1')
      .get() as { first_seq: number; bytes: Buffer };
    const flipped = Buffer.from(row.bytes);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    db.prepare('UPDATE batches SET bytes = ? WHERE first_seq = ?').run(flipped, row.first_seq);
    db.close();
    const opened = SqliteStore.open(altered, { readonly: true });
    try {
      const alteredApi = new RunApi(
        storedRunSource(altered, opened),
        new Timeline(opened, plugins(), { seed: SEED }),
        plugins(),
      );
      while (!alteredApi.scan.advance(100));
      const overview = alteredApi.overview(ask({ buckets: 1 }));
      const batch = `the batch of seqs ${BATCH_RECORDS + 1} to ${2 * BATCH_RECORDS}`;
      expect(overview).toMatchObject({ ready: true, scanned: BATCH_RECORDS });
      expect(overview.error).toContain(batch);
      // The records before it still read; a seek into it says which batch is altered.
      expect(alteredApi.records(ask({ from: 1, count: 10 })).records).toHaveLength(10);
      expect(() => alteredApi.seek(ask({ seq: BATCH_RECORDS + 5 }))).toThrow(batch);
    } finally {
      opened.close();
    }
  });

  it('refuses bad parameters naming them', () => {
    expect(() => api.seek(ask({ seq: head + 1 }))).toThrow(
      new ApiInputError(
        `parameter seq must be a whole number from 0 to ${head}, not "${head + 1}"`,
      ),
    );
    expect(() => api.memory(ask({ seq: 1, va: 0 }))).toThrow('missing parameter space');
    expect(() => api.records(ask({ count: 5000 }))).toThrow(
      'parameter count must be a whole number from 1 to 1000',
    );
    expect(() => api.continue(ask({ seq: 1, stop: 'watch:write:1:zz:4' }))).toThrow(
      'stop "watch:write:1:zz:4" is neither break:<type or prefix.> nor watch:<write|read|access>:<space>:<va>:<length>',
    );
    expect(() => api.continue(ask({ seq: 1 }))).toThrow('continue needs at least one stop');
    expect(() => api.continue(ask({ seq: 1, stop: 'break:x', direction: 'up' }))).toThrow(
      'parameter direction must be one of forward, backward, not "up"',
    );
  });
});
