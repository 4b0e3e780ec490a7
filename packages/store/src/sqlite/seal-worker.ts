// The thread that seals a recording's batches (see BatchSealer): each request comes on a port of
// its own, with a shared counter the recording thread waits on, since it never yields to the
// event loop while a simulation runs.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { sealBatch } from './batch-seal';

/** A recording's channel: its requests and replies, and the count of replies sent. */
export interface SealChannel {
  readonly port: MessagePort;
  readonly replies: Int32Array;
}

/** One batch to seal: its records' canonical bytes and where each ends. */
export interface SealRequest {
  readonly encoded: Uint8Array;
  readonly ends: Uint32Array;
}

parentPort?.on('message', ({ port, replies }: SealChannel) => {
  port.on('message', ({ encoded, ends }: SealRequest) => {
    try {
      const seal = sealBatch(encoded, ends);
      // Exact copies to move rather than clone: a Buffer may be a view into a larger pool.
      const [bytes, leaves] = [new Uint8Array(seal.bytes), new Uint8Array(seal.leaves)];
      const reply = { bytes, leaves, root: new Uint8Array(seal.root) };
      port.postMessage(reply, [bytes.buffer, leaves.buffer]);
    } catch (error) {
      port.postMessage({ error: (error as Error).message });
    }
    // After the reply is queued, so a waiter that sees the count finds the reply there.
    Atomics.add(replies, 0, 1);
    Atomics.notify(replies, 0);
  });
});
