// A thread that checks chunks of a run's batches the quick way (see VerifyPool), claiming them
// one after another with the verifying thread and the pool's other threads. It loads nothing of
// the kernel, so it starts in a few tens of milliseconds.
import Database from 'better-sqlite3';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { SCAN_MMAP_BYTES } from '../sqlite/schema';
import { checkChunk, chunkRows } from './quick-check';

/** One verify: the run, its batches (their first seqs, in order), and the pool's shared counters. */
export interface VerifyJob {
  readonly port: MessagePort;
  readonly path: string;
  readonly firsts: readonly number[];
  /** Shared by the pool: [0] the next chunk to claim, [1] chunks posted, [2] 1 once it stops. */
  readonly counters: Int32Array;
}

/** A chunk checked: each batch's leaf (32 bytes each), and whether it passed the quick check. */
export type ChunkResult =
  | { readonly chunk: number; readonly leaves: Uint8Array; readonly passed: Uint8Array }
  | { readonly error: string };

const NEXT = 0;
const POSTED = 1;
const STOPPED = 2;

parentPort?.on('message', (job: VerifyJob | { readonly ping: MessagePort }) => {
  if ('ping' in job) {
    job.ping.postMessage('ready');
    job.ping.close();
    return;
  }
  const { port, counters, firsts } = job;
  const post = (result: ChunkResult, transfer: ArrayBuffer[] = []) => {
    port.postMessage(result, transfer);
    // After the result is queued, so a waiter that sees the count finds it there.
    Atomics.add(counters, POSTED, 1);
    Atomics.notify(counters, POSTED);
  };
  let db: Database.Database | undefined;
  try {
    db = new Database(job.path, { readonly: true, fileMustExist: true });
    db.pragma(`mmap_size = ${SCAN_MMAP_BYTES}`);
    const rows = chunkRows(db);
    for (;;) {
      if (Atomics.load(counters, STOPPED) === 1) return;
      const chunk = Atomics.add(counters, NEXT, 1);
      const checked = checkChunk(rows, firsts, chunk);
      if (!checked) return;
      post({ chunk, ...checked }, [
        checked.leaves.buffer as ArrayBuffer,
        checked.passed.buffer as ArrayBuffer,
      ]);
    }
  } catch (error) {
    post({ error: (error as Error).message });
  } finally {
    db?.close();
    port.close();
  }
});
