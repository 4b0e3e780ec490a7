// The thread that seals a recording's batches (see BatchSealer), and commits them to its run file
// on a connection of its own: each request comes on a port of its own, with a shared counter the
// recording thread waits on, since it never yields to the event loop while a simulation runs.
import type { StateDigest } from '@chronovisor/core';
import type { KeyObject } from 'node:crypto';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { BatchCommitter } from './batch-committer';
import { CHECKSUM_BYTES, sealBatch } from './batch-seal';
import { KindTable, type RecordKind } from './record-index';

/** A recording's channel: its requests and replies, the count of replies sent, its kinds so far. */
export interface SealChannel {
  readonly port: MessagePort;
  readonly replies: Int32Array;
  readonly kinds: readonly RecordKind[];
  /** The run file to commit each batch to. */
  readonly commit: { readonly path: string; readonly signingKey?: KeyObject };
}

/** One batch to seal (its framed records, and the seq of the first), or digests alone, or the end. */
export type SealRequest =
  | { readonly batch: Uint8Array; readonly first: number; readonly digests: readonly StateDigest[] }
  | { readonly digests: readonly StateDigest[] }
  | { readonly close: true };

parentPort?.on('message', ({ port, replies, kinds, commit }: SealChannel) => {
  const table = new KindTable(kinds);
  let committer: BatchCommitter | undefined;
  port.on('message', (request: SealRequest) => {
    try {
      committer ??= BatchCommitter.open(commit.path, commit.signingKey);
      if ('close' in request) {
        committer.close();
        port.postMessage({ closed: true });
      } else if (!('batch' in request)) {
        committer.commitDigests(request.digests);
        port.postMessage({ committed: true });
      } else {
        const seal = sealBatch(request.batch, request.first, table);
        committer.commit(seal, request.first, seal.checks.length / CHECKSUM_BYTES, request.digests);
        port.postMessage({ committed: true });
      }
    } catch (error) {
      port.postMessage({ error: (error as Error).message });
    }
    // After the reply is queued, so a waiter that sees the count finds the reply there.
    Atomics.add(replies, 0, 1);
    Atomics.notify(replies, 0);
  });
});
