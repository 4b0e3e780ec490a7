import {
  NullStore,
  Simulation,
  Xoshiro128StarStar,
  type LogRecord,
  type Store,
} from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { replayState } from '@chronovisor/replay';
import { SqliteStore, exportNdjson, verifyRun } from '@chronovisor/store';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { figure, type Figure } from '../figure';
import { timed } from '../measure';
import * as mmu from '@chronovisor/mmu';

const COMMANDS = 500_000; // about a million records: each access is a command and its event
const plugins = [mmuPlugin({ frames: 4096 })];

/** A mixed MMU workload: mapping, then random reads and writes over 64 pages, some faulting. */
export function recordMixedWorkload(store: Store, commands: number): Simulation {
  const sim = new Simulation({ plugins, seed: 1, store });
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 4096 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: 64 });
  const rng = new Xoshiro128StarStar(1);
  const data = new Uint8Array(8);
  for (let i = 3; i < commands; i++) {
    const va = rng.nextInt(0, 66) * 4096 + rng.nextInt(0, 511) * 8;
    if (i & 1) {
      data[0] = i;
      sim.dispatch(mmu.write, { space, va, data });
    } else sim.dispatch(mmu.read, { space, va, length: 8 });
  }
  sim.close();
  return sim;
}

/** What a hand-rolled logger does: one JSON line appended to a file per record. */
class AppendFileStore extends NullStore {
  constructor(private readonly file: string) {
    super();
  }
  override append(records: readonly LogRecord[]): void {
    super.append(records);
    for (const r of records) appendFileSync(this.file, `${JSON.stringify(r)}\n`);
  }
}

/** What the store suite measures, in seconds and counts, in a process of its own. */
export interface StoreMeasures {
  readonly records: number;
  readonly limitSeconds: number;
  readonly sqliteSeconds: number;
  readonly loggerRecords: number;
  readonly loggerSeconds: number;
  readonly replayEvents: number;
  readonly replaySeconds: number;
  readonly verifySeconds: number;
  readonly verifyPooledSeconds: number;
  readonly longRecords: number;
  readonly longVerifySeconds: number;
  readonly longVerifyPooledSeconds: number;
  readonly hashSeconds: number;
  readonly fileBytes: number;
  readonly ndjsonBytes: number;
}

/** Records, replays and verifies the bench run (see `storeSuite`). */
export function measureStore(): StoreMeasures {
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-bench-'));
  try {
    recordMixedWorkload(new NullStore(), 20_000); // warm-up
    const limit = timed(() => recordMixedWorkload(new NullStore(), COMMANDS));
    const records = limit.result.seq;
    const file = path.join(dir, 'run.db');
    const sqlite = timed(() => {
      const store = SqliteStore.create(file);
      recordMixedWorkload(store, COMMANDS);
      store.close(); // counts building the per-record SQL table too
    });
    const loggerCommands = 25_000;
    const logger = timed(() =>
      recordMixedWorkload(new AppendFileStore(path.join(dir, 'log.ndjson')), loggerCommands),
    );

    const reopened = SqliteStore.open(file, { readonly: true });
    const replay = timed(() => replayState(reopened, plugins));
    const ndjson = path.join(dir, 'run.ndjson');
    exportNdjson(reopened, {}, ndjson);
    reopened.close();
    const verify = timed(() => verifyRun(file, { threads: false }));
    const pooled = timed(() => verifyRun(file, { threads: true }));
    // A run four times as long, where the verifying threads repay their start.
    const long = path.join(dir, 'long.db');
    const longStore = SqliteStore.create(long);
    const longRecords = recordMixedWorkload(longStore, 4 * COMMANDS).seq;
    longStore.close();
    const longVerify = timed(() => verifyRun(long, { threads: false }));
    const longPooled = timed(() => verifyRun(long, { threads: true }));
    if (![verify, pooled, longVerify, longPooled].every((v) => v.result.ok) || !replay.result.ok)
      throw new Error('the bench run does not verify or replay');
    const hash = timed(() => createHash('sha256').update(readFileSync(file)).digest());
    return {
      records,
      limitSeconds: limit.seconds,
      sqliteSeconds: sqlite.seconds,
      loggerRecords: logger.result.seq,
      loggerSeconds: logger.seconds,
      replayEvents: replay.result.events,
      replaySeconds: replay.seconds,
      verifySeconds: verify.seconds,
      verifyPooledSeconds: pooled.seconds,
      longRecords,
      longVerifySeconds: longVerify.seconds,
      longVerifyPooledSeconds: longPooled.seconds,
      hashSeconds: hash.seconds,
      fileBytes: statSync(file).size,
      ndjsonBytes: statSync(ndjson).size,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The log: recording a mixed workload of about a million records to SQLite with the Merkle audit
 * on, replaying it, verifying it, and its size on disk, each beside its baseline in the same run.
 * Measured in a process of its own, as a user's `chronovisor run` is: in the bench's process,
 * after the other suites' modules load and run, V8 tenures the simulation's short-lived objects
 * and the limit runs at half its speed, which would flatter the ratio.
 */
export function storeSuite(): Figure[] {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, '..', 'store-measure.js')],
    { env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const m = JSON.parse(output) as StoreMeasures;
  const records = m.records;
  const sqlite = { seconds: m.sqliteSeconds };
  const limit = { seconds: m.limitSeconds };
  const logger = { seconds: m.loggerSeconds };
  const loggerRecords = m.loggerRecords;
  const replay = { seconds: m.replaySeconds, result: { events: m.replayEvents } };
  const verify = { seconds: m.verifySeconds };
  const pooled = { seconds: m.verifyPooledSeconds };
  const hashOnly = { seconds: m.hashSeconds };
  const perSecond = (n: number, s: number) => n / s;
  const onDisk = m.fileBytes / records;
  return [
    figure({
      suite: 'store',
      name: `record to SQLite, Merkle audit on (${records.toLocaleString('en-US')} records)`,
      value: perSecond(records, sqlite.seconds),
      unit: 'records/s',
      baseline: {
        name: 'no recording at all (the limit)',
        value: perSecond(records, limit.seconds),
      },
      aim: {
        text: '≥ 1,000,000 records/s with the audit on, and ≥ 0.6× the limit',
        met:
          perSecond(records, sqlite.seconds) >= 1_000_000 && limit.seconds / sqlite.seconds >= 0.6,
      },
      detail:
        'before batch leaves: 111,000–176,000 records/s (0.14–0.18× the limit); format 8 (before batch names): 712,000–765,000; format 9 (before payload shapes): 690,000–885,000 (0.29–0.37×)',
    }),
    figure({
      suite: 'store',
      name: 'record to SQLite, Merkle audit on',
      value: perSecond(records, sqlite.seconds),
      unit: 'records/s',
      baseline: {
        name: 'JSON.stringify + appendFileSync per record',
        value: perSecond(loggerRecords, logger.seconds),
      },
    }),
    figure({
      suite: 'store',
      name: 'state replay from SQLite, digests checked',
      value: perSecond(replay.result.events, replay.seconds),
      unit: 'events/s',
      baseline: {
        name: 'live execution, no recording',
        value: perSecond(records / 2, limit.seconds),
      },
      aim: {
        text: '≥ 2,000,000 events/s',
        met: perSecond(replay.result.events, replay.seconds) >= 2_000_000,
      },
      detail:
        'before batch leaves: 450,000–570,000 events/s; format 8, read on one thread: 934,000–1,260,000; format 9: 1,120,000–1,370,000',
    }),
    figure({
      suite: 'store',
      name: 'verify on one core (recompute the Merkle tree, check every head)',
      value: perSecond(records, verify.seconds),
      unit: 'records/s',
      baseline: {
        name: 'SHA-256 of the whole file',
        value: perSecond(records, hashOnly.seconds),
      },
      aim: {
        text: '≥ 10,000,000 records/s on one core',
        met: perSecond(records, verify.seconds) >= 10_000_000,
      },
      detail:
        'before batch leaves: 157,000–226,000 records/s; format 8: 4,500,000–6,900,000; format 9: 5,200,000–7,600,000',
    }),
    figure({
      suite: 'store',
      name: 'verify with the verifying threads (one less than the cores), started cold',
      value: perSecond(records, pooled.seconds),
      unit: 'records/s',
      baseline: { name: 'verify on one core', value: perSecond(records, verify.seconds) },
      detail: 'by default the threads are used from 2,048 batches on',
    }),
    figure({
      suite: 'store',
      name: `verify with the verifying threads, a run of ${m.longRecords.toLocaleString('en-US')} records`,
      value: perSecond(m.longRecords, m.longVerifyPooledSeconds),
      unit: 'records/s',
      baseline: {
        name: 'verify on one core',
        value: perSecond(m.longRecords, m.longVerifySeconds),
      },
    }),
    figure({
      suite: 'store',
      name: 'bytes per record on disk',
      value: onDisk,
      unit: 'bytes/record',
      lowerIsBetter: true,
      baseline: { name: 'NDJSON export', value: m.ndjsonBytes / records },
      aim: { text: '≤ 24 bytes/record', met: onDisk <= 24 },
      detail: 'before batch leaves: 28.1 bytes/record; format 8: 23.1; format 9: 22.1',
    }),
  ];
}
