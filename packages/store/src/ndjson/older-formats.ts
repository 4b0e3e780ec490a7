import type { LogRecord } from '@chronovisor/core';
import { ByteWriter } from '../codec/byte-writer';
import type { OlderBatch } from './older-audit';

/*
 * The run formats before today's, as exports made in their time carry their checksums and tree
 * heads (see OlderAudit). Nothing writes them now, so this is the plain generic encoding, kept
 * apart and small.
 *
 * Format 8 (NDJSON 3), before batch names: each record spelled out its actor, type and object
 * keys, and a batch was its framed records alone.
 * Format 9 (NDJSON 4), before payload shapes: a batch began with the names its records used
 * (numbered in order of first use), and each record wrote its seq and tick whole and its payload
 * tagged, each key a name.
 *
 *   batch 8 = (length:varint record)*      batch 9 = names:(count:varint string*) (length:varint record)*
 *   record  = kind:byte seq:varint tick:varint actor cause:varint type rest
 *   value   = as today's generic value; an object is count:varint (key value)*, keys sorted
 *   actor, type, key: a string (8), a name (9)
 */

/** A batch of format 8: its records, framed by their lengths. */
export function format8Batch(records: readonly LogRecord[]): OlderBatch {
  const { bytes, starts, ends } = framed(records, (out, text) => out.string(text));
  // No names: each record's checksum, the first's too, covers its own bytes.
  return { bytes, starts, ends, checkedFrom: starts[0] ?? 0 };
}

/** A batch of format 9: its names, then its records framed by their lengths. */
export function format9Batch(records: readonly LogRecord[]): OlderBatch {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const body = framed(records, (out, text) => {
    let id = ids.get(text);
    if (id === undefined) {
      id = names.length;
      ids.set(text, id);
      names.push(text);
    }
    out.varint(id);
  });
  const out = new ByteWriter();
  out.varint(names.length);
  for (const text of names) out.string(text);
  const header = out.length;
  out.raw(body.bytes);
  // The first record's checksum covers the names too: from the batch's start.
  return {
    bytes: out.take(),
    starts: body.starts.map((at) => at + header),
    ends: body.ends.map((at) => at + header),
    checkedFrom: 0,
  };
}

/** Writes an actor, a type or a key, as the format spells them. */
type NameWriter = (out: ByteWriter, text: string) => void;

function framed(
  records: readonly LogRecord[],
  name: NameWriter,
): { bytes: Uint8Array; starts: Uint32Array; ends: Uint32Array } {
  const out = new ByteWriter();
  const starts = new Uint32Array(records.length);
  const ends = new Uint32Array(records.length);
  records.forEach((record, i) => {
    const bytes = new ByteWriter(128);
    encode(bytes, record, name);
    out.varint(bytes.length);
    starts[i] = out.length;
    out.raw(bytes.bytes.subarray(0, bytes.length));
    ends[i] = out.length;
  });
  return { bytes: out.take(), starts, ends };
}

function encode(out: ByteWriter, record: LogRecord, name: NameWriter): void {
  out.byte(record.kind === 'event' ? 3 : record.rejection ? 2 : 1);
  out.varint(record.seq);
  out.varint(record.tick);
  name(out, record.actor);
  out.varint(record.cause);
  name(out, record.type);
  if (record.kind === 'event') {
    out.varint(record.v);
    value(out, record.data, name);
    return;
  }
  value(out, record.args, name);
  if (record.rejection) {
    out.string(record.rejection.error);
    out.string(record.rejection.message);
  }
}

function value(out: ByteWriter, v: unknown, name: NameWriter): void {
  if (v === null) out.byte(0);
  else if (v === false) out.byte(1);
  else if (v === true) out.byte(2);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v) || Object.is(v, -0)) {
      out.byte(v < 0 ? 4 : 3);
      out.varint(Math.abs(v));
    } else {
      out.byte(5);
      out.float64(v);
    }
  } else if (typeof v === 'string') {
    out.byte(6);
    out.string(v);
  } else if (v instanceof Uint8Array) {
    out.byte(7);
    out.varint(v.length);
    out.raw(v);
  } else if (Array.isArray(v)) {
    out.byte(8);
    out.varint(v.length);
    for (const item of v) value(out, item, name);
  } else {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.byte(9);
    out.varint(entries.length);
    for (const [key, item] of entries) {
      name(out, key);
      value(out, item, name);
    }
  }
}
