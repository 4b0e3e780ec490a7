// The thread that seals a recording's batches (see BatchSealer): each request comes on a port of
// its own, with a shared counter the recording thread waits on, since it never yields to the
// event loop while a simulation runs.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { sealBatch } from './batch-seal';
import { KindTable, type RecordKind } from './record-index';

/** A recording's channel: its requests and replies, the count of replies sent, its kinds so far. */
export interface SealChannel {
  readonly port: MessagePort;
  readonly replies: Int32Array;
  readonly kinds: readonly RecordKind[];
}

/** One batch to seal: its framed records, and the seq of the first. */
export interface SealRequest {
  readonly batch: Uint8Array;
  readonly first: number;
}

parentPort?.on('message', ({ port, replies, kinds }: SealChannel) => {
  const table = new KindTable(kinds);
  port.on('message', ({ batch, first }: SealRequest) => {
    try {
      const seal = sealBatch(batch, first, table);
      // Exact copies to move rather than clone: a Buffer may be a view into a larger pool.
      const [bytes, checks] = [new Uint8Array(seal.bytes), new Uint8Array(seal.checks)];
      const reply = { bytes, checks, leaf: new Uint8Array(seal.leaf), index: seal.index };
      port.postMessage(reply, [bytes.buffer, checks.buffer]);
    } catch (error) {
      port.postMessage({ error: (error as Error).message });
    }
    // After the reply is queued, so a waiter that sees the count finds the reply there.
    Atomics.add(replies, 0, 1);
    Atomics.notify(replies, 0);
  });
});
