import type { LogRecord } from '@chronovisor/core';
import { batchLeaf, checksumOf } from '../codec/batch-format';
import { ByteWriter } from '../codec/byte-writer';
import { Frontier } from '../merkle/frontier';
import type { Hash } from '../merkle/hashes';

/*
 * The audit of format 8, the run format before batch names: each record spelled out its actor,
 * type and object keys, and a batch was its framed records alone. An export made then (NDJSON 3)
 * carries format 8's checksums and tree heads; an import checks the records against them with this
 * before batching them anew in today's format (whose root differs). Nothing writes format 8 now,
 * so this is the plain generic encoding, kept apart and small.
 *
 *   record = kind:byte seq:varint tick:varint actor:string cause:varint type:string rest
 *   value  = as today's, but an object is count:varint (key:string value)*
 */

/** Format 8's checksums and tree heads over the records given to it, batch by batch. */
export class Format8Audit {
  private records: Uint8Array[] = [];
  private readonly frontier = new Frontier();
  private sealed = 0;

  /** Records sealed so far: the size of the tree head `root` gives. */
  get size(): number {
    return this.sealed;
  }

  append(record: LogRecord): void {
    const out = new ByteWriter(128);
    encode(out, record);
    this.records.push(out.take());
  }

  /** Ends a batch where the export sealed one; its records' checksums, as format 8 kept them. */
  seal(): Buffer {
    const out = new ByteWriter();
    const starts = new Uint32Array(this.records.length);
    const ends = new Uint32Array(this.records.length);
    this.records.forEach((bytes, i) => {
      out.varint(bytes.length);
      starts[i] = out.length;
      out.raw(bytes);
      ends[i] = out.length;
    });
    const batch = out.take();
    const count = this.records.length;
    // Format 8 had no names: each record's checksum, the first's too, covers its own bytes.
    const checks = Buffer.alloc(2 * count);
    for (let i = 0; i < count; i++)
      checks.writeUInt16BE(checksumOf(batch, starts[i]!, ends[i]!), 2 * i);
    this.frontier.push(batchLeaf(this.sealed + 1, count, batch), 1);
    this.sealed += count;
    this.records = [];
    return checks;
  }

  /** The root of the batches sealed so far. */
  root(): Hash {
    return this.frontier.root();
  }
}

function encode(out: ByteWriter, record: LogRecord): void {
  out.byte(record.kind === 'event' ? 3 : record.rejection ? 2 : 1);
  out.varint(record.seq);
  out.varint(record.tick);
  out.string(record.actor);
  out.varint(record.cause);
  out.string(record.type);
  if (record.kind === 'event') {
    out.varint(record.v);
    value(out, record.data);
    return;
  }
  value(out, record.args);
  if (record.rejection) {
    out.string(record.rejection.error);
    out.string(record.rejection.message);
  }
}

function value(out: ByteWriter, v: unknown): void {
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
    for (const item of v) value(out, item);
  } else {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.byte(9);
    out.varint(entries.length);
    for (const [key, item] of entries) {
      out.string(key);
      value(out, item);
    }
  }
}
