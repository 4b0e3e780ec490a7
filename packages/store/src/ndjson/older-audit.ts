import type { LogRecord } from '@chronovisor/core';
import { batchLeaf, checksumOf } from '../codec/batch-format';
import { Frontier } from '../merkle/frontier';
import type { Hash } from '../merkle/hashes';
import { format8Batch, format9Batch } from './older-formats';

/** A batch of an older run format: its bytes and where each record lies in them. */
export interface OlderBatch {
  readonly bytes: Uint8Array;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  /** Where the first record's checksum starts (its batch's start, where a header comes first). */
  readonly checkedFrom: number;
}

/** An older run format, as an export made in its time carries its audit. */
export interface OlderFormat {
  /** What the version that wrote it came before. */
  readonly before: string;
  readonly batch: (records: readonly LogRecord[]) => OlderBatch;
}

/** The run formats whose audit an export of an older NDJSON format carries, by that format. */
export const OLDER_FORMATS: Readonly<Record<number, OlderFormat>> = {
  3: { before: 'batch names', batch: format8Batch },
  4: { before: 'payload shapes', batch: format9Batch },
};

/**
 * An older run format's checksums and tree heads over the records given to it, batch by batch:
 * an import checks an older export's records against the audit it carries with this, before
 * batching them anew in today's format (whose root differs).
 */
export class OlderAudit {
  private records: LogRecord[] = [];
  private readonly frontier = new Frontier();
  private sealed = 0;

  constructor(readonly format: OlderFormat) {}

  /** Records sealed so far: the size of the tree head `root` gives. */
  get size(): number {
    return this.sealed;
  }

  append(record: LogRecord): void {
    this.records.push(record);
  }

  /** Ends a batch where the export sealed one; its records' checksums, as the format kept them. */
  seal(): Buffer {
    const { bytes, starts, ends, checkedFrom } = this.format.batch(this.records);
    const count = this.records.length;
    const checks = Buffer.alloc(2 * count);
    for (let i = 0; i < count; i++)
      checks.writeUInt16BE(checksumOf(bytes, i === 0 ? checkedFrom : starts[i]!, ends[i]!), 2 * i);
    this.frontier.push(batchLeaf(this.sealed + 1, count, bytes), 1);
    this.sealed += count;
    this.records = [];
    return checks;
  }

  /** The root of the batches sealed so far. */
  root(): Hash {
    return this.frontier.root();
  }
}
