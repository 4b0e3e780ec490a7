import type { LogRecord } from '@chronovisor/core';
import { BatchTable } from './batch-header';
import { ByteWriter } from './byte-writer';
import { encodeRecord } from './record-codec';

/** A batch being written: its records framed as they come, and the header they are written against. */
export class BatchBuilder {
  private readonly table = new BatchTable();
  private readonly records = new ByteWriter();

  /** Records in the batch. */
  get size(): number {
    return this.table.records;
  }

  /** The seq of its first record (when it holds any). */
  get first(): number {
    return this.table.first;
  }

  /** Bytes of its records so far (the header comes on top). */
  get recordBytes(): number {
    return this.records.length;
  }

  /** Adds a record (encoded now: the batch holds it as appended, whatever its holder does next). */
  append(record: LogRecord): void {
    appendFramed(this.records, record, this.table);
  }

  /** The batch's bytes so far; the builder goes on filling it. */
  peek(): Uint8Array {
    const out = new ByteWriter(this.records.length + 16 * this.table.names.size + 64);
    this.table.write(out);
    out.raw(this.records.bytes.subarray(0, this.records.length));
    return out.take();
  }

  /** The batch's bytes; the builder starts the next batch. */
  take(): Uint8Array {
    const bytes = this.peek();
    this.table.reset();
    this.records.reset();
    return bytes;
  }
}

/** The bytes of a batch of these records. */
export function batchBytes(records: Iterable<LogRecord>): Uint8Array {
  const builder = new BatchBuilder();
  for (const record of records) builder.append(record);
  return builder.take();
}

/** Appends one record, framed by its length, to the records of a batch being written. */
function appendFramed(out: ByteWriter, record: LogRecord, table: BatchTable): void {
  // One byte kept for the length: a record under 128 bytes, the usual one, is written in place.
  const at = out.length;
  out.byte(0);
  try {
    encodeRecord(out, record, table);
  } catch (error) {
    out.length = at;
    throw error;
  }
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
