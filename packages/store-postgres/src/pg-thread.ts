// The thread that talks to PostgreSQL for the process's PostgreSQL stores (see PgChannel):
// node-postgres is asynchronous, and a simulation never yields to the event loop, so each store
// sends its requests on a port of its own, on a connection of its own, and they are answered in
// order, the answers counted in a shared counter the store waits on (Atomics.wait). Sealing a
// batch (its leaf, checksums, index, deflate) happens here too, off the simulation's thread.
import type { StateDigest } from '@chronovisor/core';
import {
  CHECKSUM_BYTES,
  HeadChain,
  KindTable,
  sealBatch,
  type RecordKind,
} from '@chronovisor/store';
import type { KeyObject } from 'node:crypto';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { Client, types } from 'pg';
import { migrate, transaction } from './migrations';

// BIGINT columns (seqs, ids, sizes) as numbers: they stay far below 2^53.
types.setTypeParser(types.builtins.INT8, Number);

/** A store's channel: its requests and answers, the count of answers sent, the server. */
export interface PgOpen {
  readonly port: MessagePort;
  readonly replies: Int32Array;
  readonly url: string;
}

/** What a store asks of its connection. */
export type PgRequest =
  /** Brings the schema up to date (see MIGRATIONS). */
  | { readonly op: 'migrate' }
  | { readonly op: 'query'; readonly sql: string; readonly params?: readonly unknown[] }
  /** Sets up sealing for a run: its record kinds and batch leaves so far, its signing key. */
  | {
      readonly op: 'seal-run';
      readonly run: number;
      readonly kinds: readonly RecordKind[];
      readonly leaves: readonly Uint8Array[];
      readonly signingKey?: KeyObject;
    }
  /** Seals a batch and commits it with its head and the digests it brings, in one transaction. */
  | {
      readonly op: 'seal';
      readonly batch: Uint8Array;
      readonly first: number;
      readonly digests: readonly StateDigest[];
    }
  | { readonly op: 'digests'; readonly digests: readonly StateDigest[] }
  | { readonly op: 'close' };

/** An answer: the rows a query gave (none for the others), or why it failed. */
export type PgReply =
  { readonly rows: readonly Record<string, unknown>[] } | { readonly error: string };

/** The answers counter in a channel's shared counters (see PgChannel). */
const ANSWERED = 0;

/** How long connecting may take before the store gives up, naming the server. */
const CONNECT_MS = 10_000;

parentPort?.on('message', ({ port, replies, url }: PgOpen) => {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_MS });
  // A connection lost later fails the requests that follow; as an event, it would end the thread.
  client.on('error', () => undefined);
  // Connected before the first request runs; a failure is that request's answer (marked handled
  // now: it may come before the first request does, and would end the thread unhandled).
  const connected = client.connect();
  connected.catch(() => undefined);
  let chain: Promise<unknown> = connected;
  let sealing: Sealing | undefined;
  port.on('message', (request: PgRequest) => {
    chain = chain
      .then(() => handle(request))
      .then(
        (rows) => ({ rows }),
        (error: unknown) => ({ error: (error as Error).message }),
      )
      .then((reply: PgReply) => {
        port.postMessage(reply);
        // After the answer is queued, so a waiter that sees the count finds it there.
        Atomics.add(replies, ANSWERED, 1);
        Atomics.notify(replies, ANSWERED);
        if (request.op === 'close') port.close();
      });
  });

  async function handle(request: PgRequest): Promise<Record<string, unknown>[]> {
    switch (request.op) {
      case 'query':
        return (
          await client.query<Record<string, unknown>>(request.sql, request.params as unknown[])
        ).rows;
      case 'migrate':
        await migrate(client);
        return [];
      case 'seal-run':
        sealing = new Sealing(request.run, request.kinds, request.leaves, request.signingKey);
        return [];
      case 'seal':
        if (!sealing) throw new Error('No run is being recorded on this connection');
        await sealing.commit(client, request.batch, request.first, request.digests);
        return [];
      case 'digests':
        if (!sealing) throw new Error('No run is being recorded on this connection');
        await transaction(client, () => sealing!.writeDigests(client, request.digests));
        return [];
      case 'close':
        await client.end();
        return [];
    }
  }
});

/** A run being recorded: its kinds and audit tree so far, as the SQLite store's committer keeps them. */
class Sealing {
  private readonly kinds: KindTable;
  private readonly heads: HeadChain;

  constructor(
    private readonly run: number,
    kinds: readonly RecordKind[],
    leaves: readonly Uint8Array[],
    signingKey: KeyObject | undefined,
  ) {
    this.kinds = new KindTable(kinds);
    this.heads = new HeadChain(leaves, signingKey);
  }

  /** Seals a batch and commits it with its head, the kinds it brings and its digests, at once. */
  async commit(
    client: Client,
    batch: Uint8Array,
    first: number,
    digests: readonly StateDigest[],
  ): Promise<void> {
    const seal = sealBatch(batch, first, this.kinds);
    const count = seal.checks.length / CHECKSUM_BYTES;
    const head = this.heads.next(seal.leaf, first + count - 1);
    const { index } = seal;
    // The batch and its head in one statement (atomic, one round trip); in a transaction with
    // them, where the batch brings them, its new record kinds and digests.
    const commit = () =>
      client.query(
        'WITH batch AS (INSERT INTO batches (run, first_seq, count, bytes, checks, leaf, first_tick, records) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)) INSERT INTO heads (run, size, batches, root, signature) VALUES ($1, $9, $10, $11, $12)',
        [
          this.run,
          first,
          count,
          seal.bytes,
          seal.checks,
          seal.leaf,
          index.firstTick,
          index.json,
          head.size,
          head.batches,
          head.root,
          head.signature,
        ],
      );
    if (index.newKinds.length === 0 && digests.length === 0) {
      await commit();
      return;
    }
    await transaction(client, async () => {
      for (const k of index.newKinds)
        await client.query(
          'INSERT INTO record_kinds (run, id, kind, rejected, type, actor) VALUES ($1, $2, $3, $4, $5, $6)',
          [this.run, k.id, k.kind, k.rejected, k.type, k.actor],
        );
      await commit();
      await this.writeDigests(client, digests);
    });
  }

  async writeDigests(client: Client, digests: readonly StateDigest[]): Promise<void> {
    for (const d of digests)
      await client.query(
        'INSERT INTO digests (run, seq, digest, projections) VALUES ($1, $2, $3, $4) ON CONFLICT (run, seq) DO UPDATE SET digest = EXCLUDED.digest, projections = EXCLUDED.projections',
        [this.run, d.seq, d.digest, d.projections ? JSON.stringify(d.projections) : null],
      );
  }
}
