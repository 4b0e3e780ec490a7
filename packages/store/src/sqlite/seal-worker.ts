// The thread that seals a recording's batches (see BatchSealer), and commits them to its run file
// on a connection of its own: each request comes on a port of its own, with a shared counter the
// recording thread waits on, since it never yields to the event loop while a simulation runs.
import type { StateDigest } from '@chronovisor/core';
import type { KeyObject } from 'node:crypto';
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { BatchCommitter, type Commit } from './batch-committer';
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
    // With what queued up meanwhile: committed together, in one transaction.
    const requests = [request];
    for (let more = receiveMessageOnPort(port); more; more = receiveMessageOnPort(port))
      requests.push(more.message as SealRequest);
    let answers: object[];
    try {
      committer ??= BatchCommitter.open(commit.path, commit.signingKey);
      const commits: Commit[] = [];
      for (const r of requests) {
        if ('close' in r) continue;
        if (!('batch' in r)) commits.push({ digests: r.digests });
        else {
          const seal = sealBatch(r.batch, r.first, table);
          const count = seal.checks.length / CHECKSUM_BYTES;
          commits.push({ seal, first: r.first, count, digests: r.digests });
        }
      }
      if (commits.length > 0) committer.commitAll(commits);
      answers = commits.map(() => ({ committed: true }));
      if (requests.some((r) => 'close' in r)) {
        committer.close();
        answers.push({ closed: true });
      }
    } catch (error) {
      answers = requests.map(() => ({ error: (error as Error).message }));
    }
    for (const answer of answers) port.postMessage(answer);
    // After the replies are queued, so a waiter that sees the count finds its reply there.
    Atomics.add(replies, 0, answers.length);
    Atomics.notify(replies, 0);
  });
});
