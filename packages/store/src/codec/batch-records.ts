import { StoreError, type LogRecord } from '@chronovisor/core';
import { readBatchHeader } from './batch-header';
import { ByteReader, DecodeError } from './byte-reader';
import { decodeRecord } from './record-codec';
import { isEventKind } from './record-head';

/** A stored batch, inflated: its records' seqs and bytes. */
export interface StoredBatch {
  readonly first: number;
  readonly count: number;
  readonly batch: Buffer;
}

/**
 * The records of a stored batch (or only its events: commands are passed over by their frames,
 * not decoded), in one pass, frame after frame, checked: a corrupt batch is named by `where` (the
 * run and the batch's seqs) and the seq it goes wrong at.
 */
export function batchRecords(stored: StoredBatch, where: string, eventsOnly = false): LogRecord[] {
  const { first, count, batch } = stored;
  const records: LogRecord[] = [];
  const reader = new ByteReader(batch);
  const misplaced = (seq: number, held: number) =>
    new StoreError(`${where} is corrupt at seq ${seq}: it holds seq ${held} there`);
  let seq = first;
  try {
    const header = readBatchHeader(reader, first);
    for (let i = 0; i < count; i++, seq++) {
      if (reader.done)
        throw new StoreError(`${where} is corrupt: it holds ${i} records, not ${count}`);
      const length = reader.varint();
      const start = reader.offset;
      const end = start + length;
      if (end > batch.length)
        throw new DecodeError(start, `A frame of ${length} bytes runs past the batch`);
      if (eventsOnly && !isEventKind(batch[start]!)) {
        const held = first + reader.moveTo(start + 1, end).varint();
        if (held !== seq) throw misplaced(seq, held);
        reader.moveTo(end, batch.length);
        continue;
      }
      reader.end = end;
      const record = decodeRecord(reader, header);
      if (!reader.done)
        throw new StoreError(`${where} is corrupt at seq ${seq}: its frame holds more than it`);
      if (record.seq !== seq) throw misplaced(seq, record.seq);
      reader.end = batch.length;
      records.push(record);
    }
  } catch (error) {
    throw corruptAt(where, seq, error);
  }
  if (!reader.done)
    throw new StoreError(`${where} is corrupt: it holds more than ${count} records`);
  return records;
}

/** A decoding error at seq's record, named by its seq (other errors pass unchanged). */
export function corruptAt(where: string, seq: number, error: unknown): unknown {
  if (!(error instanceof DecodeError)) return error;
  return new StoreError(`${where} is corrupt at seq ${seq}: ${error.message}`, { cause: error });
}
