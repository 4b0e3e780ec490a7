import { StoreError } from '@chronovisor/core';
import {
  auditRun,
  type AuditReport,
  type AuditedRun,
  type StoredHead,
  type StoredRow,
  type VerifyOptions,
} from '@chronovisor/store';
import { checkPostgresUrl, redactUrl } from './connection';
import { PgChannel } from './pg-channel';

/**
 * Verifies run `run` kept at the PostgreSQL server at `url` as `verifyRun` does a run file:
 * recomputes its Merkle tree from its stored records and checks it against every head, signature
 * and a head the user kept, naming the first record altered, removed, reordered or inserted.
 * Checked on this thread (the verifying threads read run files).
 */
export function verifyPostgresRun(
  url: string,
  run: number,
  options: Omit<VerifyOptions, 'threads'> = {},
): AuditReport {
  checkPostgresUrl(url);
  const channel = PgChannel.open(url);
  try {
    const [found] = channel.query<{ open: boolean; public_key: Uint8Array | null }>(
      'SELECT open, public_key FROM runs WHERE id = $1',
      [run],
    );
    if (!found) throw new StoreError(`${redactUrl(url)} holds no run ${run}`);
    return auditRun(postgresRun(channel, run, found), { ...options, threads: false });
  } finally {
    channel.close();
  }
}

type Row = { first_seq: number; count: number; bytes: Uint8Array; leaf: Uint8Array };
const storedRow = (r: Row): StoredRow => ({
  first_seq: r.first_seq,
  count: r.count,
  bytes: Buffer.from(r.bytes),
  leaf: Buffer.from(r.leaf),
});

function postgresRun(
  channel: PgChannel,
  run: number,
  found: { open: boolean; public_key: Uint8Array | null },
): AuditedRun {
  return {
    heads: () =>
      channel
        .query<{ size: number; batches: number; root: Uint8Array; signature: Uint8Array | null }>(
          'SELECT size, batches, root, signature FROM heads WHERE run = $1 ORDER BY size',
          [run],
        )
        .map((h): StoredHead => ({
          size: h.size,
          batches: h.batches,
          root: Buffer.from(h.root),
          signature: h.signature && Buffer.from(h.signature),
        })),
    publicKey: () => (found.public_key ? Buffer.from(found.public_key) : undefined),
    closedCleanly: () => !found.open,
    batches: () =>
      channel.query<{ first_seq: number; count: number }>(
        'SELECT first_seq, count FROM batches WHERE run = $1 ORDER BY first_seq',
        [run],
      ),
    row: (first) =>
      storedRow(
        channel.query<Row>(
          'SELECT first_seq, count, bytes, leaf FROM batches WHERE run = $1 AND first_seq = $2',
          [run, first],
        )[0]!,
      ),
    checks: (first) =>
      Buffer.from(
        channel.query<{ checks: Uint8Array }>(
          'SELECT checks FROM batches WHERE run = $1 AND first_seq = $2',
          [run, first],
        )[0]!.checks,
      ),
    rows: (from, to) =>
      channel
        .query<Row>(
          'SELECT first_seq, count, bytes, leaf FROM batches WHERE run = $1 AND first_seq >= $2 AND first_seq <= $3 ORDER BY first_seq',
          [run, from, to],
        )
        .map(storedRow),
  };
}
