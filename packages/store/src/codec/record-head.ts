import type { BatchHeader } from './batch-header';
import type { BatchNames } from './batch-names';
import { DecodeError, type ByteReader } from './byte-reader';
import type { BatchShape } from './payload-shapes';

/*
 * The head of a record's canonical bytes (see record-codec): its kind, seq, tick, actor, cause
 * and type or shape. Apart from the codec, as it loads nothing of the kernel: the sealing
 * thread indexes records by their heads.
 */

export const Kind = { Command: 1, Rejected: 2, Event: 3 } as const;
/** Added to a record's kind when its payload is shaped. */
export const SHAPED = 3;

/** Whether a record's first byte is an event's. */
export const isEventKind = (kind: number): boolean =>
  kind === Kind.Event || kind === Kind.Event + SHAPED;
/** Whether a record's first byte is a refused command's. */
export const isRefusedKind = (kind: number): boolean =>
  kind === Kind.Rejected || kind === Kind.Rejected + SHAPED;

/** Differences up to 2^51 (seqs and ticks nowhere near it): zigzagged, plus one, still a varint. */
const MAX_DIFFERENCE = 2 ** 51;
export const zigzag = (n: number) => {
  if (n >= MAX_DIFFERENCE || n <= -MAX_DIFFERENCE)
    throw new RangeError(`A difference of ${n} between a record's seqs or ticks is too large`);
  return n >= 0 ? n * 2 : -n * 2 - 1;
};
export const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

export function readKind(input: ByteReader): number {
  const at = input.offset;
  const kind = input.byte();
  if (kind < Kind.Command || kind > Kind.Event + SHAPED)
    throw new DecodeError(at, `Not a record: kind byte ${kind}`);
  return kind;
}

/** A name: its number, read as the name it stands for in `batch`. */
export function readName(input: ByteReader, batch: BatchNames): string {
  const at = input.offset;
  return batch.name(input.varint(), at);
}

/** A shape: its number, read as the shape it stands for in the batch. */
export function readShape(input: ByteReader, header: BatchHeader): BatchShape {
  const at = input.offset;
  const id = input.varint();
  const shape = header.shapes[id];
  if (shape === undefined)
    throw new DecodeError(at, `Shape ${id} is not one of the batch's ${header.shapes.length}`);
  return shape;
}

/** The seq a record's head holds (the reader is at its seq, after its kind). */
export function readSeq(input: ByteReader, header: BatchHeader): number {
  return header.first + input.varint();
}

/**
 * The head of the record the reader is at, its payload not decoded: kind byte, seq, tick, and
 * the numbers of its actor's and type's names (what the run's index keeps).
 */
export interface RecordHead {
  kind: number;
  seq: number;
  tick: number;
  actor: number;
  cause: number;
  type: number;
}

/** Reads a record's head into `head` (one object serves a batch's records). */
export function readHead(input: ByteReader, header: BatchHeader, head: RecordHead): RecordHead {
  head.kind = readKind(input);
  head.seq = readSeq(input, header);
  head.tick = header.tick + unzigzag(input.varint());
  head.actor = input.varint();
  const cause = input.varint();
  head.cause = cause === 0 ? 0 : head.seq - unzigzag(cause - 1);
  head.type = head.kind > SHAPED ? readShape(input, header).typeId : input.varint();
  return head;
}

/** A record's type, read from the head of its canonical bytes: the payload is not decoded. */
export function recordType(input: ByteReader, header: BatchHeader): string {
  const kind = readKind(input);
  input.varint(); // seq
  input.varint(); // tick
  input.varint(); // actor
  input.varint(); // cause
  return kind > SHAPED ? readShape(input, header).type : readName(input, header.names);
}
