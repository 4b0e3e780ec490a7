import { StoreError } from '@chronovisor/core';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { sealBatch, type BatchSeal } from './batch-seal';
import { KindTable, type RecordKind } from './record-index';
import { StoreThread } from './store-thread';
import type { SealChannel, SealRequest } from './seal-worker';

/** How long a recording waits on a seal before it calls the sealing thread lost. */
const STALL_MS = 120_000;

/**
 * Seals batches in submission order, on the sealing thread when there is one: hashing, checksums,
 * the index and deflating run there while this thread goes on simulating.
 * `take()` blocks (Atomics.wait) until the oldest submitted batch is sealed: a simulation never
 * yields to the event loop, so replies are read synchronously from the port.
 */
export class BatchSealer {
  private readonly channel?: { port: MessagePort; replies: Int32Array };
  private submitted = 0;
  private taken = 0;
  /** Seals made on this thread, when there is no sealing thread, and the kinds they number. */
  private readonly inline: BatchSeal[] = [];
  private readonly kinds: KindTable;

  /** @param kinds the record kinds the run already holds */
  constructor(kinds: readonly RecordKind[]) {
    this.kinds = new KindTable(kinds);
    const worker = sealingThread.join();
    if (!worker) return;
    const { port1, port2 } = new MessageChannel();
    const replies = new Int32Array(new SharedArrayBuffer(4));
    worker.postMessage({ port: port2, replies, kinds } satisfies SealChannel, [port2]);
    this.channel = { port: port1, replies };
  }

  /** Whether batches are sealed on the sealing thread (else on this one). */
  get threaded(): boolean {
    return this.channel !== undefined;
  }

  /** Batches submitted and not yet taken. */
  get inFlight(): number {
    return this.submitted - this.taken;
  }

  /** Queues a batch (its framed records, from seq `first`); the sealer keeps the bytes. */
  submit(batch: Uint8Array, first: number): void {
    this.submitted++;
    if (!this.channel) {
      this.inline.push(sealBatch(batch, first, this.kinds));
      return;
    }
    const request: SealRequest = { batch, first };
    this.channel.port.postMessage(request, [batch.buffer as ArrayBuffer]);
  }

  /** The seal of the oldest batch not yet taken, waiting for it if need be. */
  take(): BatchSeal {
    if (this.taken === this.submitted) throw new StoreError('No batch is being sealed');
    const target = ++this.taken;
    if (!this.channel) return this.inline.shift()!;
    const { port, replies } = this.channel;
    for (let seen = Atomics.load(replies, 0); seen < target; seen = Atomics.load(replies, 0)) {
      if (Atomics.wait(replies, 0, seen, STALL_MS) === 'timed-out')
        throw new StoreError(`The batch sealing thread has not answered for ${STALL_MS / 1000} s`);
    }
    const reply = receiveMessageOnPort(port)?.message as
      | { bytes: Uint8Array; checks: Uint8Array; leaf: Uint8Array; index: BatchSeal['index'] }
      | { error: string }
      | undefined;
    if (!reply) throw new StoreError('The batch sealing thread counted a reply it did not send');
    if ('error' in reply) throw new StoreError(`Sealing a batch failed: ${reply.error}`);
    // Typed arrays come through a port as plain Uint8Arrays: Buffers again, over the same bytes.
    return {
      bytes: asBuffer(reply.bytes),
      checks: asBuffer(reply.checks),
      leaf: asBuffer(reply.leaf),
      index: reply.index,
    };
  }

  /** Lets the port go; batches not taken are dropped. */
  close(): void {
    if (!this.channel) return;
    this.channel.port.close();
  }
}

/**
 * The process's sealing thread, shared by its recordings, started with the first and kept for
 * the next (starting one costs ~30 ms, more than recording a short run).
 */
const sealingThread = new StoreThread('seal-worker');

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
