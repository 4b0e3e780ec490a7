import { StoreError } from '@chronovisor/core';
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Hash } from '../merkle/hashes';
import { StoreThread } from '../sqlite/store-thread';
import { CHUNK, checkChunk, type ChunkRows } from './quick-check';
import type { ChunkResult, VerifyJob } from './verify-worker';

// The pool's shared counters (see VerifyJob).
const NEXT = 0;
const POSTED = 1;
const STOPPED = 2;

/** How long verify waits on a thread before it calls it lost. */
const STALL_MS = 120_000;

/** The verifying threads: one less than the machine's cores, up to three; started by the first verify and kept. */
const threads = Array.from({ length: Math.min(3, availableParallelism() - 1) }, () =>
  StoreThread.ofStore('../audit/verify-worker', () => (busy = false)),
);
/** Whether a verify is using the threads (one at a time). */
let busy = false;

/** A chunk's batches as checked: each one's leaf, or null where it failed the quick check. */
type Checked = (Hash | null)[];

/**
 * A run's batches checked the quick way (see quickCheck) by the verifying thread and the pool's
 * threads, if any, at once, a chunk of CHUNK batches at a time: each thread claims the next chunk nobody
 * has, and the verifying thread, which folds the leaves into the tree in order, checks chunks
 * itself rather than wait, while there are any left (so a thread still starting costs nothing).
 */
export class VerifyPool {
  private readonly counters = new Int32Array(new SharedArrayBuffer(12));
  private readonly ports: MessagePort[];
  private readonly done = new Map<number, Checked>();
  private taken = 0;
  private closed = false;
  /** Chunks the pool's threads have checked in this process (to see that they do). */
  static threadChunks = 0;

  private constructor(
    path: string,
    private readonly firsts: readonly number[],
    private readonly rows: ChunkRows,
    pool: readonly StoreThread[],
  ) {
    this.ports = pool.map((thread) => {
      const { port1, port2 } = new MessageChannel();
      const job: VerifyJob = { port: port2, path, firsts, counters: this.counters };
      thread.join()!.postMessage(job, [port2]);
      return port1;
    });
  }

  /**
   * The check of the batches whose first seqs are `firsts`, this thread reading its chunks with
   * `rows`: with the verifying threads if `threaded` and they are free (and the run is longer
   * than a chunk), else all on this thread.
   */
  static start(
    path: string,
    firsts: readonly number[],
    rows: ChunkRows,
    threaded: boolean,
  ): VerifyPool {
    const use =
      threaded &&
      !busy &&
      firsts.length > CHUNK &&
      threads.every((thread) => thread.join() !== undefined);
    if (use) busy = true;
    return new VerifyPool(path, firsts, rows, use ? threads : []);
  }

  /** Starts the verifying threads, resolving once each is ready for a verify. */
  static async warm(): Promise<void> {
    const workers = threads.map((thread) => thread.join()).filter((w) => w !== undefined);
    await Promise.all(
      workers.map((worker) => {
        const { port1, port2 } = new MessageChannel();
        const answered = new Promise((resolve) => port1.once('message', resolve));
        worker.postMessage({ ping: port2 }, [port2]);
        return answered.finally(() => port1.close());
      }),
    );
  }

  /** Batch i's leaf, or null where it failed the quick check (check it the slow way). */
  leafOf(i: number): Hash | null {
    const chunk = Math.floor(i / CHUNK);
    let checked = this.done.get(chunk);
    while (checked === undefined) {
      this.receive();
      checked = this.done.get(chunk);
      if (checked !== undefined) break;
      const mine = Atomics.add(this.counters, NEXT, 1);
      const result = checkChunk(this.rows, this.firsts, mine);
      if (result) this.done.set(mine, checkedOf(result));
      else this.wait();
      checked = this.done.get(chunk);
    }
    if (i % CHUNK === CHUNK - 1 || i === this.firsts.length - 1) this.done.delete(chunk);
    return checked[i % CHUNK]!;
  }

  /** Stops the threads (the verify ended, or stopped at a problem); they are free again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.counters, STOPPED, 1);
    if (this.ports.length === 0) return;
    for (const port of this.ports) port.close();
    busy = false;
  }

  /** Takes what the threads have posted. */
  private receive(): void {
    for (const port of this.ports)
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        this.taken++;
        VerifyPool.threadChunks++;
        const result = m.message as ChunkResult;
        if ('error' in result) throw new StoreError(`Verifying the run failed: ${result.error}`);
        this.done.set(result.chunk, checkedOf(result));
      }
  }

  /** Waits for a thread to post a chunk (every chunk is claimed: some thread is checking it). */
  private wait(): void {
    const seen = Atomics.load(this.counters, POSTED);
    if (seen > this.taken) return;
    if (Atomics.wait(this.counters, POSTED, seen, STALL_MS) === 'timed-out')
      throw new StoreError(`A verifying thread has not answered for ${STALL_MS / 1000} s`);
  }
}

function checkedOf({ leaves, passed }: { leaves: Uint8Array; passed: Uint8Array }): Checked {
  return Array.from(passed, (ok, k) =>
    ok ? Buffer.from(leaves.buffer, leaves.byteOffset + 32 * k, 32) : null,
  );
}
