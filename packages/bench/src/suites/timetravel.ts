import { Projector, Simulation, Xoshiro128StarStar, type Store } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { SqliteStore } from '@chronovisor/store';
import {
  KeptSnapshots,
  Timeline,
  indexRun,
  type IndexSummary,
  type TimelineOptions,
} from '@chronovisor/timetravel';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { figure, type Figure } from '../figure';
import { timed } from '../measure';
import * as mmu from '@chronovisor/mmu';

export const FRAMES = 4096;
/** Two records a command; the aims are set on 10,000,000 records (CHRONOVISOR_BENCH_RECORDS to change). */
export const COMMANDS = Math.floor(Number(process.env.CHRONOVISOR_BENCH_RECORDS ?? 10_000_000) / 2);
const SEEKS = 200;
const SNAPSHOT_EVERY = 4096;
export const plugins = () => [mmuPlugin({ frames: FRAMES })];

/** Where the i-th access goes: a page of the 16 MiB space. */
type Workload = (i: number, rng: Xoshiro128StarStar) => number;

/** Uniform over 16 MiB: the worst case for snapshots, every one touching most frames. */
export const uniform: Workload = (_i, rng) => rng.nextInt(0, FRAMES - 1);

/**
 * A program's traffic: 80% of accesses in a hot window of 64 pages drifting through memory (a
 * page every 2,000 accesses), 15% on a 4-page stack at the top, 5% anywhere.
 */
const local: Workload = (i, rng) => {
  const roll = rng.nextInt(0, 99);
  if (roll < 80) return (Math.floor(i / 2000) % (FRAMES - 64)) + rng.nextInt(0, 63);
  if (roll < 95) return FRAMES - 1 - rng.nextInt(0, 3);
  return rng.nextInt(0, FRAMES - 1);
};

/** Random 8-byte writes and reads in one space of 16 MiB, pages chosen by `workload`. */
export function record(store: Store, workload: Workload = uniform): number {
  const sim = new Simulation({ plugins: plugins(), seed: 1, store });
  sim.dispatch(mmu.createPartition, { name: 'p', frames: FRAMES });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: FRAMES });
  const rng = new Xoshiro128StarStar(3);
  const data = new Uint8Array(8);
  for (let i = 0; i < COMMANDS; i++) {
    const va = workload(i, rng) * 4096 + rng.nextInt(0, 511) * 8;
    if (rng.nextUint32() & 1) {
      data[0] = i;
      sim.dispatch(mmu.write, { space, va, data });
    } else sim.dispatch(mmu.read, { space, va, length: 8 });
  }
  sim.close();
  return sim.seq;
}

/**
 * Full collections, where node runs with --expose-gc (as `npm run bench` does), so heap sizes
 * mean something. Three: after one, buffers freed by it may still be counted (measured here:
 * one collection left 20–45 MiB of dropped snapshots' frames in `external`).
 */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
}

/** JavaScript objects and the typed arrays' buffers (which live outside the JS heap) together. */
function memoryInUse(): number {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/**
 * A timeline that has passed over the whole run once, taking its snapshots, and the memory that
 * pass left held (heap and buffers, after a full collection).
 */
function firstPass(store: Store, records: number, options: TimelineOptions) {
  collectGarbage();
  const before = memoryInUse();
  const timeline = new Timeline(store, plugins(), { seed: 1, ...options });
  const pass = timed(() => timeline.seek(records));
  collectGarbage();
  return { timeline, bytes: memoryInUse() - before, seconds: pass.seconds };
}

/** A run of `workload` recorded into a new file in `dir`, open to read. */
function recordedRun(dir: string, name: string, workload: Workload) {
  const file = path.join(dir, name);
  const writer = SqliteStore.create(file);
  const records = record(writer, workload);
  writer.close();
  const fileBytes = statSync(file).size;
  return { file, records, fileBytes, store: SqliteStore.open(file, { readonly: true }) };
}

/**
 * What the live state alone takes at the end (a timeline keeping only the empty start), and a
 * timeline held to 25% of the run file, each measured while no other timeline is alive.
 */
function cappedPass(store: Store, records: number, fileBytes: number) {
  const liveBytes = firstPass(store, records, { memoryBudget: 0 }).bytes;
  return { liveBytes, capped: firstPass(store, records, { memoryBudget: fileBytes / 4 }) };
}

/** How long each of SEEKS random seeks took, in ms, sorted. */
function seekLatencies(timeline: Timeline, rng: Xoshiro128StarStar): number[] {
  const latencies: number[] = [];
  for (let i = 0; i < SEEKS; i++) {
    const target = rng.nextInt(0, timeline.head);
    const start = performance.now();
    timeline.seek(target);
    latencies.push(performance.now() - start);
  }
  return latencies.sort((a, b) => a - b);
}

/**
 * Keeps snapshots in the run file as `chronovisor index` does, then opens it afresh for each of a
 * few seeks, as a user reopening the run: the end first, then random points.
 */
function reopenWithKeptSnapshots(file: string, records: number, rng: Xoshiro128StarStar) {
  const writer = SqliteStore.open(file);
  let summary: IndexSummary | undefined;
  const indexing = timed(
    () => (summary = indexRun(writer, writer.snapshots, plugins(), { key: KEY, seed: 1 })),
  );
  writer.close();
  const firstSeek = (target: number, kept: boolean): number => {
    const store = SqliteStore.open(file, { readonly: true });
    try {
      const start = performance.now();
      const options = kept
        ? { seed: 1, kept: new KeptSnapshots(store.snapshots, KEY) }
        : { seed: 1 };
      new Timeline(store, plugins(), options).seek(target);
      return performance.now() - start;
    } finally {
      store.close();
    }
  };
  const toEnd = firstSeek(records, true);
  const toEndByReplay = firstSeek(records, false);
  const random = Array.from({ length: 20 }, () => firstSeek(rng.nextInt(0, records), true)).sort(
    (a, b) => a - b,
  );
  return {
    toEnd,
    toEndByReplay,
    p50: percentile(random, 0.5),
    p99: percentile(random, 0.99),
    indexSeconds: indexing.seconds,
    kept: summary!.snapshots,
    keptBytes: summary!.bytes,
    every: summary!.every,
  };
}

/**
 * The same questions on a workload with locality: adaptive snapshots under the default budget,
 * and held to 25% of the run file, what they hold and how fast seeks are.
 */
function localitySection(dir: string): Figure[] {
  const { store, records, fileBytes } = recordedRun(dir, 'local.db', local);
  try {
    const { liveBytes, capped } = cappedPass(store, records, fileBytes);
    const cappedLatencies = seekLatencies(capped.timeline, new Xoshiro128StarStar(9));
    const adaptive = firstPass(store, records, {});
    const adaptiveLatencies = seekLatencies(adaptive.timeline, new Xoshiro128StarStar(9));
    const name = `program-like workload (${records.toLocaleString('en-US')} records, 80% in a drifting 64-page window)`;
    const mib = (bytes: number) => bytes / 2 ** 20;
    return [
      figure({
        suite: 'timetravel',
        name: `${name}: random seek, p99, adaptive snapshots (default 1 GiB budget)`,
        value: percentile(adaptiveLatencies, 0.99),
        unit: 'ms',
        lowerIsBetter: true,
        baseline: {
          name: 'held to 25% of the run file',
          value: percentile(cappedLatencies, 0.99),
        },
        aim: {
          text: 'p99 seek ≤ 15 ms',
          met: percentile(adaptiveLatencies, 0.99) <= 15,
        },
        detail: `p50 ${percentile(adaptiveLatencies, 0.5).toFixed(2)} ms, ${adaptive.timeline.snapshotCount} snapshots; held to 25%: p50 ${percentile(cappedLatencies, 0.5).toFixed(1)} ms, ${capped.timeline.snapshotCount} snapshots`,
      }),
      figure({
        suite: 'timetravel',
        name: `${name}: memory held by adaptive snapshots (beyond the live state)`,
        value: mib(adaptive.bytes - liveBytes),
        unit: 'MiB',
        lowerIsBetter: true,
        baseline: { name: 'the run file', value: mib(fileBytes) },
        aim: {
          text: 'snapshots ≤ 25% of the run file',
          met: adaptive.bytes - liveBytes <= fileBytes / 4,
        },
        detail: `held to 25%: ${mib(capped.bytes - liveBytes).toFixed(1)} MiB`,
      }),
    ];
  } finally {
    store.close();
  }
}

const KEY = 'bench: mmu';

export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * Time travel over a recorded run of ten million records in SQLite: random seeks once the
 * timeline has its snapshots (p50, p99), beside seeks that replay from the start, and what the
 * snapshots cost in memory beside the run file's size.
 */
export function timetravelSuite(): Figure[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-bench-tt-'));
  try {
    const { file, store, records, fileBytes } = recordedRun(dir, 'run.db', uniform);
    try {
      // Each timeline is measured, then let go before the next is built: a big one alive beside
      // another makes every collection slower, and its seeks with it.
      const rng = new Xoshiro128StarStar(9);
      const { liveBytes, capped } = cappedPass(store, records, fileBytes);
      const cappedBytes = capped.bytes - liveBytes;
      const cappedEstimate = capped.timeline.snapshotBytes();
      const cappedSnapshots = capped.timeline.snapshotCount;
      const cappedLatencies = seekLatencies(capped.timeline, rng);
      const cappedP99 = percentile(cappedLatencies, 0.99);
      const cappedSeconds = capped.seconds;
      let fixed: ReturnType<typeof firstPass> | undefined = firstPass(store, records, {
        snapshotEvery: SNAPSHOT_EVERY,
      });
      const snapshotCount = fixed.timeline.snapshotCount;
      const fixedSeconds = fixed.seconds;
      const snapshotBytes = fixed.bytes - liveBytes;
      const latencies = seekLatencies(fixed.timeline, rng);
      fixed = undefined;
      collectGarbage();
      const naive: number[] = [];
      for (let i = 0; i < 3; i++) {
        const target = rng.nextInt(records >> 1, records);
        const start = performance.now();
        const projector = new Projector(plugins(), 1);
        for (const r of store.readEvents(1, target)) projector.apply(r);
        naive.push(performance.now() - start);
      }
      naive.sort((a, b) => a - b);
      let adaptive: Timeline | undefined = new Timeline(store, plugins(), { seed: 1 }); // one per ~4 ms of replay
      adaptive.seek(records);
      const adaptiveLatencies = seekLatencies(adaptive, rng);
      const adaptiveSnapshots = adaptive.snapshotCount;
      adaptive = undefined;
      collectGarbage();
      const p99 = percentile(latencies, 0.99);
      const reopened = reopenWithKeptSnapshots(file, records, rng);
      const locality = localitySection(dir);
      return [
        figure({
          suite: 'timetravel',
          name: `random seek, p50 (${records.toLocaleString('en-US')} records, a snapshot every ${SNAPSHOT_EVERY})`,
          value: percentile(latencies, 0.5),
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: 'seek by replaying from the start (median of 3)',
            value: percentile(naive, 0.5),
          },
        }),
        figure({
          suite: 'timetravel',
          name: 'random seek, p99',
          value: p99,
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: 'seek by replaying from the start (median of 3)',
            value: percentile(naive, 0.5),
          },
          aim: { text: 'p99 seek ≤ 15 ms (on a 10,000,000-record run)', met: p99 <= 15 },
        }),
        figure({
          suite: 'timetravel',
          name: 'random seek, p99, snapshots adapted to ~4 ms of replay',
          value: percentile(adaptiveLatencies, 0.99),
          unit: 'ms',
          lowerIsBetter: true,
          baseline: { name: `a snapshot every ${SNAPSHOT_EVERY} records`, value: p99 },
          detail: `p50 ${percentile(adaptiveLatencies, 0.5).toFixed(2)} ms, ${adaptiveSnapshots} snapshots`,
        }),
        figure({
          suite: 'timetravel',
          name: `memory held by the snapshots, a snapshot every ${SNAPSHOT_EVERY} (heap and buffers beyond the live state, after one pass)`,
          value: snapshotBytes / 2 ** 20,
          unit: 'MiB',
          lowerIsBetter: true,
          baseline: { name: 'the run file', value: fileBytes / 2 ** 20 },
          detail: `one pass to take them: ${fixedSeconds.toFixed(2)} s; ${snapshotCount} snapshots (the default 1 GiB budget applies)`,
        }),
        figure({
          suite: 'timetravel',
          name: 'random seek, p99, snapshots held to 25% of the run file (memoryBudget)',
          value: cappedP99,
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: 'seek by replaying from the start (median of 3)',
            value: percentile(naive, 0.5),
          },
          aim: { text: 'p99 seek ≤ 15 ms (on a 10,000,000-record run)', met: cappedP99 <= 15 },
          detail: `p50 ${percentile(cappedLatencies, 0.5).toFixed(2)} ms, ${cappedSnapshots} snapshots`,
        }),
        figure({
          suite: 'timetravel',
          name: 'memory held by the snapshots held to 25% of the run file (measured)',
          value: cappedBytes / 2 ** 20,
          unit: 'MiB',
          lowerIsBetter: true,
          baseline: { name: 'the run file', value: fileBytes / 2 ** 20 },
          aim: { text: 'snapshots ≤ 25% of the run file', met: cappedBytes <= fileBytes / 4 },
          detail: `the timeline's own estimate: ${(cappedEstimate / 2 ** 20).toFixed(1)} MiB; one pass: ${cappedSeconds.toFixed(2)} s`,
        }),
        figure({
          suite: 'timetravel',
          name: 'reopened run, first seek to the end (snapshots kept by chronovisor index)',
          value: reopened.toEnd,
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: 'the same seek replaying from the start',
            value: reopened.toEndByReplay,
          },
          detail: `indexing took ${reopened.indexSeconds.toFixed(2)} s`,
        }),
        figure({
          suite: 'timetravel',
          name: 'reopened run, random first seeks (p50, from kept snapshots)',
          value: reopened.p50,
          unit: 'ms',
          lowerIsBetter: true,
          baseline: {
            name: 'seek by replaying from the start (median of 3)',
            value: percentile(naive, 0.5),
          },
          detail: `p99 ${reopened.p99.toFixed(1)} ms, each from a fresh timeline`,
        }),
        figure({
          suite: 'timetravel',
          name: 'snapshots kept in the run file',
          value: reopened.keptBytes / 2 ** 20,
          unit: 'MiB',
          lowerIsBetter: true,
          baseline: { name: 'the run file without them', value: fileBytes / 2 ** 20 },
          detail: `${reopened.kept} snapshots, one every ${reopened.every.toLocaleString('en-US')} records`,
        }),
        ...locality,
      ];
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
