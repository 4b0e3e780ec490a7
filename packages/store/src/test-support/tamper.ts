import Database from 'better-sqlite3';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { LogRecord } from '@chronovisor/core';
import { batchLeaf, frameBytes, framesOf, recordChecksum } from '../codec/batch-format';
import { BatchTable, batchHeaderOf, type BatchHeader } from '../codec/batch-header';
import { ByteReader } from '../codec/byte-reader';
import { ByteWriter } from '../codec/byte-writer';
import { decodeRecord, encodeRecord } from '../codec/record-codec';
import { CHECKSUM_BYTES } from '../sqlite/batch-seal';

/** How far a forger goes to cover an edit: not at all, the records' checksums, or the batch's leaf too. */
export type Cover = 'none' | 'checksums' | 'leaf';

/** A batch's records as a forger edits them: canonical bytes, against the batch's header. */
export interface ForgedBatch {
  readonly header: BatchHeader;
  /** Record bytes read as a record. */
  decode(bytes: Buffer): LogRecord;
  /** A record as canonical bytes in this batch (using only the names it already has). */
  encode(record: LogRecord): Buffer;
}

/**
 * What a forger does to a run file: edits the canonical bytes of the records in the batch holding
 * `seq` (`index` is that record's place in the batch), and covers the edit as far as `cover` says.
 */
export function tamper(
  file: string,
  seq: number,
  edit: (records: Buffer[], index: number, batch: ForgedBatch) => Buffer[],
  cover: Cover = 'none',
): void {
  const db = new Database(file);
  const row = db
    .prepare(
      'SELECT first_seq, count, bytes, checks, leaf FROM batches WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1',
    )
    .get(seq) as { first_seq: number; count: number; bytes: Buffer; checks: Buffer; leaf: Buffer };
  const batch = inflateRawSync(row.bytes);
  const frames = framesOf(batch);
  const records = Array.from({ length: frames.count }, (_, i) =>
    Buffer.from(frameBytes(batch, frames, i)),
  );
  const header = batchHeaderOf(batch, row.first_seq);
  const forging: ForgedBatch = {
    header,
    decode: (bytes) => decodeRecord(new ByteReader(bytes), header),
    encode: (record) => {
      const table = BatchTable.continuing(header);
      const out = new ByteWriter();
      encodeRecord(out, record, table);
      if (
        table.names.size !== header.names.list.length ||
        table.shapes.size !== header.shapes.length
      )
        throw new Error('the forged record needs new names or shapes');
      return Buffer.from(out.take());
    },
  };
  const edited = edit(records, seq - row.first_seq, forging);
  const framed = Buffer.concat([
    batch.subarray(0, frames.headerEnd),
    ...edited.flatMap((r) => [varint(r.length), r]),
  ]);
  const framedAnew = framesOf(framed);
  const checks =
    cover === 'none'
      ? row.checks
      : Buffer.concat(
          Array.from({ length: framedAnew.count }, (_, i) => {
            const check = Buffer.alloc(CHECKSUM_BYTES);
            check.writeUInt16BE(recordChecksum(framed, framedAnew, i));
            return check;
          }),
        );
  const leaf = cover === 'leaf' ? batchLeaf(row.first_seq, edited.length, framed) : row.leaf;
  db.prepare(
    'UPDATE batches SET bytes = ?, count = ?, checks = ?, leaf = ? WHERE first_seq = ?',
  ).run(deflateRawSync(framed), edited.length, checks, leaf, row.first_seq);
  db.close();
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) bytes.push((n % 0x80) | 0x80);
  bytes.push(n);
  return Buffer.from(bytes);
}
