import { StoreError } from '@chronovisor/core';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { StateDigest } from '@chronovisor/core';
import type Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { BatchCommitter } from './batch-committer';
import { CHECKSUM_BYTES, sealBatch } from './batch-seal';
import { KindTable, type RecordKind } from './record-index';
import { StoreThread } from './store-thread';
import type { SealChannel, SealRequest } from './seal-worker';

/**
 * Batches sealing on the sealing thread at most, before the oldest is committed: what a recording
 * killed outright may lose, beyond the batch filling (16 × 1,024 records: ~15 ms of recording).
 */
export const SEALING_AHEAD = 16;

/** How long a recording waits on a seal before it calls the sealing thread lost. */
const STALL_MS = 120_000;

/** Where sealed batches are committed: the run file, its signing key, and this thread's connection to it. */
export interface CommitTarget {
  readonly path: string;
  readonly signingKey?: KeyObject;
  /** Where batches are committed when there is no sealing thread. */
  readonly db: Database.Database;
}

type Reply = { committed: true } | { closed: true } | { error: string };

/**
 * Seals and commits batches in submission order, on the sealing thread when there is one:
 * hashing, checksums, the index, deflating and the commit (see BatchCommitter, on a connection of
 * its own) run there while this thread goes on simulating. `settle()` blocks (Atomics.wait) until
 * the oldest request is done: a simulation never yields to the event loop, so replies are read
 * synchronously from the port.
 */
export class BatchSealer {
  private readonly channel?: { port: MessagePort; replies: Int32Array };
  private submitted = 0;
  private taken = 0;
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
    target: CommitTarget,
    options: { here?: boolean } = {},
  ) {
    this.kinds = new KindTable(kinds);
    const worker = options.here ? undefined : sealingThread.join();
    if (!worker) {
      this.committer = new BatchCommitter(target.db, target.signingKey);
      return;
    }
    BatchCommitter.share(target.db);
    const { port1, port2 } = new MessageChannel();
    const replies = new Int32Array(new SharedArrayBuffer(4));
    const commit = {
      path: target.path,
      ...(target.signingKey ? { signingKey: target.signingKey } : {}),
    };
    worker.postMessage({ port: port2, replies, kinds, commit } satisfies SealChannel, [port2]);
    this.channel = { port: port1, replies };
  }

  /** Starts the sealing thread, if it is not running, so that a recording need not wait for it. */
  static warm(): void {
    sealingThread.join();
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
   * Queues a batch (its framed records, from seq `first`), to be committed with `digests`; the
   * sealer keeps the bytes.
   */
  submit(batch: Uint8Array, first: number, digests: readonly StateDigest[] = []): void {
    this.submitted++;
    if (!this.channel) {
      const seal = sealBatch(batch, first, this.kinds);
      this.committer!.commit(seal, first, seal.checks.length / CHECKSUM_BYTES, digests);
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
      return;
    }
    this.channel.port.postMessage({ digests } satisfies SealRequest);
  }

  /** Waits until the oldest request is committed. */
  settle(): void {
    this.next();
  }

  /** Waits for what is in flight, closes the sealing thread's connection, and lets the port go. */
  close(): void {
    if (!this.channel || this.closed) return;
    this.closed = true;
    while (this.inFlight > 0) this.next();
    this.submitted++;
    this.channel.port.postMessage({ close: true } satisfies SealRequest);
    this.next();
    this.channel.port.close();
  }

  /** The oldest reply not yet taken (none for a request done on this thread). */
  private next(): Reply | undefined {
    if (this.taken === this.submitted) throw new StoreError('No batch is being sealed');
    const target = ++this.taken;
    if (!this.channel) return undefined;
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
const sealingThread = StoreThread.ofStore('seal-worker');
