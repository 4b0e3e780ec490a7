import { createHash } from 'node:crypto';
import { DecodeError } from './byte-reader';
import type { ByteWriter } from './byte-writer';
import { encodeRecord } from './record-codec';
import type { LogRecord } from '@chronovisor/core';
import type { Hash } from '../merkle/hashes';

/*
 * A batch: the unit the audit hashes and the file stores. Its bytes are its records' canonical
 * encodings, each framed by its length:
 *
 *   batch  = (length:varint record)*        record = the canonical bytes of one record
 *   leaf   = SHA-256(0x00 ‖ first seq:u64 big-endian ‖ count:u32 big-endian ‖ batch)
 *
 * The leaf is the batch's leaf in the run's RFC 6962 tree, a function of the records alone (never
 * of the compression the file applies to them), so an exported and re-imported run has the same
 * root. The framing lets a reader find one record without decoding those before it.
 */

/** The most records in one batch. */
export const BATCH_RECORDS = 1024;
/** A batch is sealed early once its bytes pass this (a few large records make a batch). */
export const BATCH_BYTES = 1 << 20;

/** Appends one record, framed by its length, to a batch being written. */
export function appendFramed(out: ByteWriter, record: LogRecord): void {
  // One byte kept for the length: a record under 128 bytes, the usual one, is written in place.
  const at = out.length;
  out.byte(0);
  encodeRecord(out, record);
  const length = out.length - at - 1;
  if (length < 0x80) {
    out.bytes[at] = length;
    return;
  }
  let extra = 0;
  for (let n = length; n >= 0x80; n = Math.floor(n / 0x80)) extra++;
  for (let i = 0; i < extra; i++) out.byte(0); // room for the longer length
  out.bytes.copyWithin(at + 1 + extra, at + 1, at + 1 + length);
  for (let i = 0, n = length; i <= extra; i++, n = Math.floor(n / 0x80))
    out.bytes[at + i] = (n % 0x80) | (i < extra ? 0x80 : 0);
}

/** The batch's leaf hash in the run's Merkle tree. */
export function batchLeaf(first: number, count: number, batch: Uint8Array): Hash {
  const header = Buffer.alloc(13);
  header[0] = 0x00;
  header.writeBigUInt64BE(BigInt(first), 1);
  header.writeUInt32BE(count, 9);
  return createHash('sha256').update(header).update(batch).digest();
}

/** Where each record of a batch lies (its canonical bytes, without the frame). */
export interface Framed {
  readonly start: number;
  readonly end: number;
}

/**
 * The records' places in a batch, checking only the framing: `count` of them, filling it exactly.
 * A frame that does not fit is a {@link DecodeError} naming its offset.
 */
export function framesOf(batch: Uint8Array): Framed[] {
  const frames: Framed[] = [];
  for (let at = 0; at < batch.length;) {
    const [length, start] = varintAt(batch, at, batch.length);
    at = start + length;
    if (at > batch.length)
      throw new DecodeError(start, `${at - batch.length} more bytes needed, the data ends`);
    frames.push({ start, end: at });
  }
  return frames;
}

/** The seq a record's canonical bytes start with (after its kind byte). */
export function seqOf(batch: Uint8Array, frame: Framed): number {
  return varintAt(batch, frame.start + 1, frame.end)[0];
}

/**
 * The varint at `at`, and where the bytes after it start; read in place (the sealing thread and
 * verification read millions), failing with the offset if it runs past `end`.
 */
export function varintAt(
  bytes: Uint8Array,
  at: number,
  end: number,
): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  const start = at;
  for (;;) {
    if (at >= end) throw new DecodeError(at, '1 more bytes needed, the data ends');
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, at];
    scale *= 0x80;
    if (scale > 2 ** 49) throw new DecodeError(start, 'An integer longer than 53 bits');
  }
}

/**
 * A record's checksum, kept beside its batch to name an altered record: 32-bit FNV-1a of its
 * canonical bytes (a check for naming, not for security: the batch's leaf is that).
 */
export function recordChecksum(batch: Uint8Array, frame: Framed): number {
  let h = 0x811c9dc5;
  for (let i = frame.start; i < frame.end; i++) h = Math.imul(h ^ batch[i]!, 0x01000193);
  return h >>> 0;
}
