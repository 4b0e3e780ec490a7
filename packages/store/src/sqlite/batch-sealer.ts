import { StoreError } from '@chronovisor/core';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { StateDigest } from '@chronovisor/core';
import type Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { BatchCommitter } from './batch-committer';
import { CHECKSUM_BYTES, sealBatch, type BatchSeal } from './batch-seal';
import { KindTable, type RecordKind } from './record-index';
import { StoreThread } from './store-thread';
import type { SealChannel, SealRequest } from './seal-worker';

/** How long a recording waits on a seal before it calls the sealing thread lost. */
const STALL_MS = 120_000;

/** Where sealed batches are committed: the run file, its signing key, and this thread's connection to it. */
export interface CommitTarget {
  readonly path: string;
  readonly signingKey?: KeyObject;
  /** Where batches are committed when there is no sealing thread. */
  readonly db: Database.Database;
}

type Reply =
  | { bytes: Uint8Array; checks: Uint8Array; leaf: Uint8Array; index: BatchSeal['index'] }
  | { committed: true }
  | { closed: true }
  | { error: string };

/**
 * Seals batches in submission order, on the sealing thread when there is one: hashing, checksums,
 * the index and deflating run there while this thread goes on simulating; with a `CommitTarget`,
 * it commits them there too (see BatchCommitter), on a connection of its own.
 * `take()` and `settle()` block (Atomics.wait) until the oldest request is done: a simulation never
 * yields to the event loop, so replies are read synchronously from the port.
 */
export class BatchSealer {
  private readonly channel?: { port: MessagePort; replies: Int32Array };
  private submitted = 0;
  private taken = 0;
  /** Seals made on this thread, when there is no sealing thread (committed ones: undefined). */
  private readonly inline: (BatchSeal | undefined)[] = [];
  private readonly kinds: KindTable;
  /** Where this thread commits, when there is no sealing thread. */
  private readonly committer?: BatchCommitter;
  private closed = false;

  /**
   * @param kinds the record kinds the run already holds
   * @param options.here seal (and commit) on this thread, as where there is no sealing thread
   */
  constructor(
    kinds: readonly RecordKind[],
    private readonly target?: CommitTarget,
    options: { here?: boolean } = {},
  ) {
    this.kinds = new KindTable(kinds);
    const worker = options.here ? undefined : sealingThread.join();
    if (!worker) {
      if (target) this.committer = new BatchCommitter(target.db, target.signingKey);
      return;
    }
    if (target) BatchCommitter.share(target.db);
    const { port1, port2 } = new MessageChannel();
    const replies = new Int32Array(new SharedArrayBuffer(4));
    const commit = target && {
      path: target.path,
      ...(target.signingKey ? { signingKey: target.signingKey } : {}),
    };
    worker.postMessage(
      { port: port2, replies, kinds, ...(commit ? { commit } : {}) } satisfies SealChannel,
      [port2],
    );
    this.channel = { port: port1, replies };
  }

  /** Whether batches are sealed on the sealing thread (else on this one). */
  get threaded(): boolean {
    return this.channel !== undefined;
  }

  /** Requests submitted and not yet taken or settled. */
  get inFlight(): number {
    return this.submitted - this.taken;
  }

  /**
   * Queues a batch (its framed records, from seq `first`); the sealer keeps the bytes. With a
   * commit target, `digests` are committed with it.
   */
  submit(batch: Uint8Array, first: number, digests: readonly StateDigest[] = []): void {
    this.submitted++;
    if (!this.channel) {
      const seal = sealBatch(batch, first, this.kinds);
      if (!this.committer) return void this.inline.push(seal);
      this.committer.commit(seal, first, seal.checks.length / CHECKSUM_BYTES, digests);
      this.inline.push(undefined);
      return;
    }
    const request: SealRequest = { batch, first, digests };
    this.channel.port.postMessage(request, [batch.buffer as ArrayBuffer]);
  }

  /** Queues digests to commit alone (their batches are committed already). */
  submitDigests(digests: readonly StateDigest[]): void {
    this.submitted++;
    if (!this.channel) {
      this.committer!.commitDigests(digests);
      this.inline.push(undefined);
      return;
    }
    this.channel.port.postMessage({ digests } satisfies SealRequest);
  }

  /** The seal of the oldest batch not yet taken, waiting for it if need be (no commit target). */
  take(): BatchSeal {
    const reply = this.next();
    if (!reply || !('bytes' in reply)) throw new StoreError('The sealer commits its batches');
    // Typed arrays come through a port as plain Uint8Arrays: Buffers again, over the same bytes.
    return {
      bytes: asBuffer(reply.bytes),
      checks: asBuffer(reply.checks),
      leaf: asBuffer(reply.leaf),
      index: reply.index,
    };
  }

  /** Waits until the oldest request is committed (with a commit target). */
  settle(): void {
    this.next();
  }

  /** Waits for what is in flight, closes the sealing thread's connection, and lets the port go. */
  close(): void {
    if (!this.channel || this.closed) return;
    this.closed = true;
    if (this.target) {
      while (this.inFlight > 0) this.next();
      this.submitted++;
      this.channel.port.postMessage({ close: true } satisfies SealRequest);
      this.next();
    }
    this.channel.port.close();
  }

  /** The oldest reply not yet taken (undefined for one made on this thread and committed). */
  private next(): Reply | BatchSeal | undefined {
    if (this.taken === this.submitted) throw new StoreError('No batch is being sealed');
    const target = ++this.taken;
    if (!this.channel) return this.inline.shift();
    const { port, replies } = this.channel;
    for (let seen = Atomics.load(replies, 0); seen < target; seen = Atomics.load(replies, 0)) {
      if (Atomics.wait(replies, 0, seen, STALL_MS) === 'timed-out')
        throw new StoreError(`The batch sealing thread has not answered for ${STALL_MS / 1000} s`);
    }
    const reply = receiveMessageOnPort(port)?.message as Reply | undefined;
    if (!reply) throw new StoreError('The batch sealing thread counted a reply it did not send');
    if ('error' in reply) throw new StoreError(`Sealing a batch failed: ${reply.error}`);
    return reply;
  }
}

/**
 * The process's sealing thread, shared by its recordings, started with the first and kept for
 * the next (starting one costs ~30 ms, more than recording a short run).
 */
const sealingThread = new StoreThread('seal-worker');

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
