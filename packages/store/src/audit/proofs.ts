import { ChronovisorError, type LogRecord } from '@chronovisor/core';
import { ByteReader } from '../codec/byte-reader';
import { batchLeaf, framesOf, seqOf } from '../codec/batch-format';
import { batchHeaderOf } from '../codec/batch-header';
import { decodeRecord } from '../codec/record-codec';
import type { Hash } from '../merkle/hashes';
import { verifyConsistency, verifyInclusion } from '../merkle/verify';

/** A tree head as a user keeps it: how many records it covers, and its root. */
export interface HeadCommitment {
  readonly size: number;
  readonly root: Hash;
}

/** A head as the run stores it: also how many batches (leaves of the tree) hold those records. */
export interface BatchedHead extends HeadCommitment {
  readonly batches: number;
}

/**
 * That record `seq` is in a run, as one of its heads committed it: the batch holding the record
 * (its place in the tree and its framed bytes), and the audit path from the batch's leaf to the
 * head's root. Checkable with nothing but the proof and the head.
 */
export interface RecordProof {
  readonly seq: number;
  readonly batch: {
    readonly index: number;
    readonly first: number;
    readonly count: number;
    readonly bytes: Uint8Array;
  };
  readonly path: readonly Hash[];
  readonly head: BatchedHead;
}

/** That the head `to` extends the head `from` without rewriting a record (RFC 6962 §2.1.2). */
export interface ConsistencyProof {
  readonly from: BatchedHead;
  readonly to: BatchedHead;
  readonly path: readonly Hash[];
}

/** A proof file or head that cannot be read: names what is wrong. */
export class ProofFormatError extends ChronovisorError {}

/** What checking a record proof found. */
export type ProofCheck =
  | { readonly ok: true; readonly record: LogRecord; readonly message: string }
  | { readonly ok: false; readonly message: string };

/**
 * Checks a record proof, against `trusted` (a head the user kept) when given, else against the
 * head the proof names: the batch's bytes hold the record at its place, and hash, through the
 * path, to the head's root.
 */
export function checkRecordProof(proof: RecordProof, trusted?: HeadCommitment): ProofCheck {
  const { seq, batch, head } = proof;
  const fail = (message: string): ProofCheck => ({ ok: false, message });
  if (trusted && (trusted.size !== head.size || !trusted.root.equals(head.root)))
    return fail(
      `The proof is against the head ${formatHead(head)}, not the one given (${formatHead(trusted)})`,
    );
  if (seq < batch.first || seq >= batch.first + batch.count)
    return fail(
      `Record ${seq} is not in the batch of seqs ${batch.first} to ${batch.first + batch.count - 1}`,
    );
  const isLast = batch.index === head.batches - 1;
  if (
    isLast
      ? batch.first + batch.count - 1 !== head.size
      : batch.first + batch.count - 1 >= head.size
  )
    return fail(
      `The batch of seqs ${batch.first} to ${batch.first + batch.count - 1} cannot be batch ${batch.index} of a head of ${head.size} records in ${head.batches} batches`,
    );
  let record: LogRecord;
  try {
    const frames = framesOf(batch.bytes);
    if (frames.count !== batch.count)
      return fail(`The batch holds ${frames.count} records, not the ${batch.count} it claims`);
    const reader = new ByteReader(batch.bytes);
    for (let i = 0; i < frames.count; i++)
      if (seqOf(reader, frames, i, batch.first) !== batch.first + i)
        return fail(
          `The batch holds seq ${seqOf(reader, frames, i, batch.first)} where seq ${batch.first + i} belongs`,
        );
    const at = seq - batch.first;
    record = decodeRecord(
      new ByteReader(batch.bytes, frames.starts[at], frames.ends[at]),
      batchHeaderOf(batch.bytes, batch.first),
    );
  } catch (error) {
    return fail(`The batch's bytes do not decode: ${(error as Error).message}`);
  }
  const leaf = batchLeaf(batch.first, batch.count, batch.bytes);
  if (!verifyInclusion(leaf, batch.index, head.batches, proof.path, head.root))
    return fail(
      `The batch of record ${seq} does not hash to the head's root through the proof's path: record or proof altered`,
    );
  return {
    ok: true,
    record,
    message: `Record ${seq} (${record.kind} ${record.type}) is in the run as the head ${formatHead(head)} committed it`,
  };
}

/** True if the proof shows `to` extends `from` (and both are the heads given, when given). */
export function checkConsistencyProof(proof: ConsistencyProof): boolean {
  const { from, to } = proof;
  if (from.size > to.size) return false;
  return verifyConsistency(from.batches, to.batches, from.root, to.root, proof.path);
}

// ---- the JSON forms ---------------------------------------------------------------------------

/** A head as people write it: `<records>:<root in hex>`. */
export function formatHead(head: HeadCommitment): string {
  return `${head.size}:${head.root.toString('hex')}`;
}

/** Reads `<records>:<root in hex>`. */
export function parseHead(text: string): HeadCommitment {
  const match = /^([1-9]\d*):([0-9a-f]{64})$/i.exec(text.trim());
  if (!match)
    throw new ProofFormatError(
      `A head is "<records>:<root>", the root 64 hex digits (as \`chronovisor run\` prints it), not "${text}"`,
    );
  return { size: Number(match[1]), root: Buffer.from(match[2]!, 'hex') };
}

/** A record proof as a JSON document. */
export function recordProofToJson(proof: RecordProof): unknown {
  return {
    chronovisor: 'record-proof',
    version: 1,
    seq: proof.seq,
    batch: {
      index: proof.batch.index,
      first: proof.batch.first,
      count: proof.batch.count,
      bytes: Buffer.from(proof.batch.bytes).toString('base64'),
    },
    path: proof.path.map((h) => h.toString('hex')),
    head: {
      size: proof.head.size,
      batches: proof.head.batches,
      root: proof.head.root.toString('hex'),
    },
  };
}

/** Reads a record proof's JSON document, naming the first field that is wrong. */
export function recordProofFromJson(value: unknown, where = 'the proof'): RecordProof {
  const fail = (what: string): never => {
    throw new ProofFormatError(`${where}: ${what}`);
  };
  const doc = value as Record<string, unknown> | null;
  if (doc === null || typeof doc !== 'object' || doc.chronovisor !== 'record-proof')
    fail(
      'not a record proof (expected {"chronovisor": "record-proof", …}, as `chronovisor prove` writes)',
    );
  if (doc!.version !== 1) fail(`version ${String(doc!.version)} is not 1`);
  const count = (v: unknown, field: string): number =>
    Number.isSafeInteger(v) && (v as number) >= 0
      ? (v as number)
      : fail(`${field} must be a non-negative integer`);
  const hash = (v: unknown, field: string): Hash =>
    typeof v === 'string' && /^[0-9a-f]{64}$/i.test(v)
      ? Buffer.from(v, 'hex')
      : fail(`${field} must be 64 hex digits`);
  const batch = (doc!.batch ?? fail('batch is missing')) as Record<string, unknown>;
  const head = (doc!.head ?? fail('head is missing')) as Record<string, unknown>;
  if (!Array.isArray(doc!.path)) fail('path must be an array of hashes');
  if (typeof batch.bytes !== 'string') fail('batch.bytes must be base64');
  return {
    seq: count(doc!.seq, 'seq'),
    batch: {
      index: count(batch.index, 'batch.index'),
      first: count(batch.first, 'batch.first'),
      count: count(batch.count, 'batch.count'),
      bytes: new Uint8Array(Buffer.from(batch.bytes as string, 'base64')),
    },
    path: (doc!.path as unknown[]).map((h, i) => hash(h, `path[${i}]`)),
    head: {
      size: count(head.size, 'head.size'),
      batches: count(head.batches, 'head.batches'),
      root: hash(head.root, 'head.root'),
    },
  };
}
