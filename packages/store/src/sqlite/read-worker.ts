// The thread that reads a run's batches ahead of a long scan (see ReadAhead): it fetches each row,
// inflates it and checks it against its leaf while the scanning thread decodes and folds the one
// before. It loads nothing of the kernel, so it starts in a few tens of milliseconds.
import Database from 'better-sqlite3';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { batchLeaf, inflateBatch } from '../codec/batch-format';
import { SCAN_MMAP_BYTES } from './schema';

/** One scan: the batches from `from` to `to` (first seqs), read ahead by at most `ahead`. */
export interface ReadRequest {
  readonly port: MessagePort;
  readonly path: string;
  readonly from: number;
  readonly to: number;
  readonly verify: boolean;
  /**
   * Shared counters: [0] batches posted, [1] batches taken, [2] set to 1 when the scan is
   * abandoned, [3] batches the scan read itself while this thread started, [4] the batch this
   * thread started at (-1 until it does: the scan reads batches itself until then). The thread
   * waits while it is `ahead` batches ahead.
   */
  readonly counters: Int32Array;
  readonly ahead: number;
}

/** What the thread posts: a batch, or why it stopped. */
export type ReadReply =
  | { readonly first: number; readonly count: number; readonly batch: Uint8Array }
  | {
      readonly first: number;
      readonly count: number;
      readonly problem: 'unreadable' | 'altered';
      readonly detail: string;
    }
  | { readonly done: true }
  | { readonly error: string };

const POSTED = 0;
const TAKEN = 1;
const ABANDONED = 2;
const READ_BY_SCAN = 3;
const STARTED_AT = 4;

parentPort?.on('message', (request: ReadRequest) => {
  const { port, counters } = request;
  const post = (reply: ReadReply, transfer: ArrayBuffer[] = []) => {
    port.postMessage(reply, transfer);
    // After the reply is queued, so a waiter that sees the count finds the reply there.
    Atomics.add(counters, POSTED, 1);
    Atomics.notify(counters, POSTED);
  };
  let db: Database.Database | undefined;
  try {
    db = new Database(request.path, { readonly: true, fileMustExist: true });
    db.pragma(`mmap_size = ${SCAN_MMAP_BYTES}`);
    const select = db.prepare(
      'SELECT first_seq, count, bytes, leaf FROM batches WHERE first_seq >= ? AND first_seq <= ? ORDER BY first_seq LIMIT -1 OFFSET ?',
    );
    // From the batch the scan has not read itself while this thread started (it may read one
    // more meanwhile: the scan passes over what it has).
    const start = Atomics.load(counters, READ_BY_SCAN);
    Atomics.store(counters, STARTED_AT, start);
    const rows = select.iterate(request.from, request.to, start) as Iterable<{
      first_seq: number;
      count: number;
      bytes: Buffer;
      leaf: Buffer;
    }>;
    for (const row of rows) {
      // Far enough ahead: wait for the scan to take a batch (or to be abandoned).
      for (;;) {
        if (Atomics.load(counters, ABANDONED) === 1) return;
        const taken = Atomics.load(counters, TAKEN);
        if (Atomics.load(counters, POSTED) - taken < request.ahead) break;
        Atomics.wait(counters, TAKEN, taken, 1000);
      }
      const { first_seq: first, count } = row;
      let batch: Buffer;
      try {
        batch = inflateBatch(row.bytes);
      } catch (error) {
        post({ first, count, problem: 'unreadable', detail: (error as Error).message });
        return;
      }
      if (request.verify && !batchLeaf(first, count, batch).equals(row.leaf)) {
        post({ first, count, problem: 'altered', detail: '' });
        return;
      }
      // Moved, not copied: a buffer of its own (inflate may hand out a view into a larger one).
      const own =
        batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength
          ? new Uint8Array(batch.buffer, 0, batch.byteLength)
          : new Uint8Array(batch);
      post({ first, count, batch: own }, [own.buffer as ArrayBuffer]);
    }
    post({ done: true });
  } catch (error) {
    post({ error: (error as Error).message });
  } finally {
    db?.close();
    port.close();
  }
});
