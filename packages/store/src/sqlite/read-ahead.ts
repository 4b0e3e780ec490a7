import { StoreError } from '@chronovisor/core';
import {
  MessageChannel,
  receiveMessageOnPort,
  type MessagePort,
  type Worker,
} from 'node:worker_threads';
import type { ReadReply, ReadRequest } from './read-worker';
import { StoreThread } from './store-thread';

// The shared counters (see ReadRequest).
const POSTED = 0;
const TAKEN = 1;
const ABANDONED = 2;
const READ_BY_SCAN = 3;
const STARTED_AT = 4;

/** Batches the reading thread may be ahead of the scan (each ~20 KiB inflated). */
const AHEAD = 32;
/** How long a scan waits on the reading thread before it calls it lost. */
const STALL_MS = 120_000;

/** The process's reading thread, started by the first long scan and kept for the next. */
const readingThread = StoreThread.ofStore('read-worker', () => (busy = false));
/** Whether a scan is using the reading thread (one at a time). */
let busy = false;

/** A batch as the reading thread hands it over: inflated, and checked against its leaf if asked. */
export type ReadBatch =
  Extract<ReadReply, { batch: Uint8Array }> | Extract<ReadReply, { problem: string }>;

/**
 * The batches of a long scan, read, inflated and checked on the reading thread while this one
 * decodes the batch before: `next()` blocks (Atomics.wait) only when the thread has fallen
 * behind. One scan at a time uses the thread; `ReadAhead.start` gives undefined when it is busy
 * or cannot start, and the scan reads the batches itself.
 */
export class ReadAhead {
  private readonly counters = new Int32Array(new SharedArrayBuffer(20));
  private readonly port: MessagePort;
  private taken = 0;
  private finished = false;
  /** Scans read ahead so far in this process (to see that long scans do). */
  static scans = 0;

  private constructor(worker: Worker, file: string, from: number, to: number, verify: boolean) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    Atomics.store(this.counters, STARTED_AT, -1);
    const request: ReadRequest = {
      port: port2,
      path: file,
      from,
      to,
      verify,
      counters: this.counters,
      ahead: AHEAD,
    };
    worker.postMessage(request, [port2]);
  }

  /** A read-ahead of the batches whose first seqs are `from` to `to`, or undefined (read them here). */
  static start(file: string, from: number, to: number, verify: boolean): ReadAhead | undefined {
    if (busy) return undefined;
    const worker = readingThread.join();
    if (!worker) return undefined;
    busy = true;
    ReadAhead.scans++;
    return new ReadAhead(worker, file, from, to, verify);
  }

  /** Starts the reading thread, if it is not running, so that the first long scan need not wait for it. */
  static warm(): void {
    readingThread.join();
  }

  /**
   * Whether the reading thread has started on the scan: until it has (it takes a few tens of
   * milliseconds to start, open the run and read a batch), the scan reads batches itself,
   * telling it with `readHere`.
   */
  get started(): boolean {
    return Atomics.load(this.counters, STARTED_AT) !== -1;
  }

  /** Counts a batch the scan read itself: the thread starts after it. */
  readHere(): void {
    Atomics.add(this.counters, READ_BY_SCAN, 1);
  }

  /**
   * The batch starting at `first` (or, after a problem, the batch the thread stopped at), or
   * undefined after the last; batches before it, read by the scan itself, are passed over.
   */
  next(first: number): ReadBatch | undefined {
    for (;;) {
      const reply = this.take();
      if (!reply || 'problem' in reply || reply.first >= first) return reply;
    }
  }

  private take(): ReadBatch | undefined {
    if (this.finished) return undefined;
    const target = this.taken + 1;
    const { counters } = this;
    for (
      let seen = Atomics.load(counters, POSTED);
      seen < target;
      seen = Atomics.load(counters, POSTED)
    ) {
      // Between batches, the thread ending its scan closes the port: nothing more comes.
      if (Atomics.wait(counters, POSTED, seen, STALL_MS) === 'timed-out')
        throw new StoreError(`The batch reading thread has not answered for ${STALL_MS / 1000} s`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as ReadReply | undefined;
    this.taken = target;
    Atomics.store(counters, TAKEN, target);
    Atomics.notify(counters, TAKEN);
    if (!reply) throw new StoreError('The batch reading thread counted a batch it did not send');
    if ('error' in reply) throw new StoreError(`Reading the run failed: ${reply.error}`);
    if ('done' in reply) {
      this.close();
      return undefined;
    }
    return reply;
  }

  /** Ends the scan (the last batch taken, or the scan abandoned): the thread stops and is free again. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    Atomics.store(this.counters, ABANDONED, 1);
    Atomics.notify(this.counters, TAKEN);
    this.port.close();
    busy = false;
  }
}
