import {
  canonicalJson,
  type CommandRecord,
  type EventRecord,
  type LogRecord,
} from '@chronovisor/core';
import type { BatchHeader, BatchTable } from './batch-header';
import {
  Kind,
  readKind,
  readName,
  readSeq,
  readShape,
  SHAPED,
  unzigzag,
  zigzag,
} from './record-head';
import type { BatchNames, NameTable } from './batch-names';
import { ByteReader, DecodeError } from './byte-reader';
import { writeVarint, type ByteWriter } from './byte-writer';
import {
  definedFields,
  isShapeable,
  layoutOf,
  MAX_SHAPE_FIELDS,
  type Layout,
} from './payload-shapes';

/*
 * The canonical bytes of a record: what its batch's Merkle leaf hashes, and what a third party
 * recomputes from the records alone to check an inclusion proof. One spelling per value (object
 * keys sorted, -0 written as 0), little-endian, integers as LEB128 varints. Actors, types and
 * object keys are names, and payloads of a few fields are written through shapes: numbers into
 * the header of the record's batch (see batch-header, batch-names, payload-shapes).
 *
 *   record  = kind:byte seq:varint tick:zigzag actor:name cause:varint head rest
 *     seq   : the record's seq − the batch's first seq
 *     tick  : the record's tick − the batch's tick, zigzag (0, −1, 1, −2, … as 0, 1, 2, 3, …)
 *     cause : 0 for none, else 1 + zigzag(seq − cause)
 *   kind 1 command, 2 refused command, 3 event:   head = type:name,  payload = value
 *   kind 4, 5, 6: the same, its payload shaped:   head = shape:varint, payload = the shape's values
 *   command : rest = payload [error:string message:string]      (refused: kinds 2 and 5)
 *   event   : rest = v:varint payload
 *   value   = 0 null | 1 false | 2 true | 3 uint:varint | 4 negative:varint(-n) | 5 float64
 *           | 6 string | 7 bytes:varint+raw | 8 array:varint+values | 9 object:varint+(name value)*
 *   string  = utf8-length:varint utf8
 *   name    = varint, the name's number in the batch
 *
 * A payload is shaped when it is a plain object of at most 64 defined fields, none named
 * `__proto__`; its shape is its type, its keys and each value's kind (see payload-shapes).
 */

const Tag = {
  Null: 0,
  False: 1,
  True: 2,
  Uint: 3,
  Negative: 4,
  Float: 5,
  String: 6,
  Bytes: 7,
  Array: 8,
  Object: 9,
} as const;

/** The names of the batch being encoded: set for the length of one `encodeRecord`. */
let names: NameTable;

/**
 * Appends the canonical bytes of `record` to `out`, against `table` (its batch's header so far;
 * the first record of a batch sets its seq and tick).
 */
export function encodeRecord(out: ByteWriter, record: LogRecord, table: BatchTable): void {
  const start = out.length;
  const namesBefore = table.names.size;
  const shapesBefore = table.shapes.size;
  if (table.records === 0) {
    table.first = record.seq;
    table.tick = record.tick;
  }
  if (record.seq < table.first)
    throw new RangeError(
      `Record ${record.seq} comes before its batch’s first record (${table.first})`,
    );
  names = table.names;
  try {
    encode(out, record, table);
    table.records++;
  } catch (error) {
    out.length = start;
    table.truncate(namesBefore, shapesBefore); // a record not written names nothing
    if (!(error instanceof NotPlainData)) throw error;
    // Found cheaply, named expensively: the slow encoder knows the path of what is wrong.
    canonicalJson(record.kind === 'event' ? { data: record.data } : { args: record.args });
    throw error;
  }
}

/** Thrown by the fast path; {@link encodeRecord} turns it into a NotPlainDataError with the path. */
class NotPlainData extends Error {}

function encode(out: ByteWriter, record: LogRecord, table: BatchTable): void {
  const payload = record.kind === 'event' ? record.data : record.args;
  const kind =
    record.kind === 'event' ? Kind.Event : record.rejection ? Kind.Rejected : Kind.Command;
  const layout = layoutFor(record.type, payload);
  const actor = table.actorId(record.actor); // named first, then the type or shape
  let head: number;
  if (layout) {
    if (layout.generation !== table.generation) {
      layout.generation = table.generation;
      layout.shape = table.shapes.id(layout.signature, layout, names);
    }
    head = layout.shape;
  } else head = names.id(record.type);
  const seq = record.seq;
  // The head: small numbers, nearly always a byte each, written in place.
  out.reserve(HEAD_ROOM);
  const b = out.bytes;
  let at = out.length;
  b[at++] = layout ? kind + SHAPED : kind;
  at = writeVarint(b, at, seq - table.first);
  at = writeVarint(b, at, zigzag(record.tick - table.tick));
  at = writeVarint(b, at, actor);
  at = writeVarint(b, at, record.cause === 0 ? 0 : 1 + zigzag(seq - record.cause));
  at = writeVarint(b, at, head);
  if (record.kind === 'event') at = writeVarint(b, at, record.v);
  out.length = at;
  if (layout) layout.write(out, payload as Record<string, unknown>, names, table.generation);
  else value(out, payload);
  if (record.kind === 'command' && record.rejection) {
    out.string(record.rejection.error);
    out.string(record.rejection.message);
  }
}

/** The most a record's head takes: a kind byte and six varints of up to 8 bytes. */
const HEAD_ROOM = 1 + 6 * 8;

/** What the codec keeps of a record type: the layout of its last shaped payload. */
const lastLayouts = new Map<string, Layout>();
/** The types kept at most: past it (a log of generated type names), nothing more is kept. */
const MAX_TYPES = 4096;

/** The layout `payload` is written through, or undefined when it is written the generic way. */
function layoutFor(type: string, payload: unknown): Layout | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const last = lastLayouts.get(type);
  const fields = payload as Record<string, unknown>;
  if (
    last !== undefined &&
    Object.getPrototypeOf(payload) === Object.prototype &&
    last.fits(fields)
  )
    return last;
  if (!isShapeable(payload) || definedFields(fields) > MAX_SHAPE_FIELDS) return undefined;
  const layout = layoutOf(type, fields, value);
  if (lastLayouts.size < MAX_TYPES || lastLayouts.has(type)) lastLayouts.set(type, layout);
  return layout;
}

function value(out: ByteWriter, v: unknown): void {
  switch (typeof v) {
    case 'number':
      if (Number.isSafeInteger(v)) {
        if (v >= 0) {
          out.byte(Tag.Uint);
          out.varint(v);
        } else {
          out.byte(Tag.Negative);
          out.varint(-v);
        }
      } else if (Number.isFinite(v)) {
        if (Object.is(v, -0)) {
          out.byte(Tag.Uint);
          out.varint(0);
        } else {
          out.byte(Tag.Float);
          out.float64(v);
        }
      } else throw new NotPlainData();
      return;
    case 'string':
      out.byte(Tag.String);
      out.string(v);
      return;
    case 'boolean':
      out.byte(v ? Tag.True : Tag.False);
      return;
    case 'object':
      if (v === null) out.byte(Tag.Null);
      else if (v instanceof Uint8Array) {
        out.byte(Tag.Bytes);
        out.varint(v.length);
        out.raw(v);
      } else if (Array.isArray(v)) {
        out.byte(Tag.Array);
        out.varint(v.length);
        for (let i = 0; i < v.length; i++) value(out, v[i]);
      } else object(out, v as Record<string, unknown>);
      return;
    default:
      throw new NotPlainData();
  }
}

function object(out: ByteWriter, v: Record<string, unknown>): void {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new NotPlainData();
  // Fast path, no key array: most objects hold under 128 keys already in order, so the count
  // fits the byte kept for it and the keys go out as they come; otherwise, start again sorted.
  const start = out.length;
  const named = names.size;
  out.byte(Tag.Object);
  const countAt = out.length;
  out.byte(0);
  let count = 0;
  let previous = '';
  for (const key in v) {
    const item = v[key];
    if (item === undefined) continue;
    if ((count > 0 && key <= previous) || count === 0x7f) {
      out.length = start;
      names.truncate(named); // names come in the order they are written, sorted
      sortedObject(out, v);
      return;
    }
    out.varint(names.id(key));
    value(out, item);
    previous = key;
    count++;
  }
  out.bytes[countAt] = count;
}

function sortedObject(out: ByteWriter, v: Record<string, unknown>): void {
  const keys = Object.keys(v);
  // Insertion sort: objects in records have a handful of keys, usually nearly in order.
  let count = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (v[key] === undefined) continue;
    let j = count++;
    while (j > 0 && keys[j - 1]! > key) {
      keys[j] = keys[j - 1]!;
      j--;
    }
    keys[j] = key;
  }
  out.byte(Tag.Object);
  out.varint(count);
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    out.varint(names.id(key));
    value(out, v[key]);
  }
}

/** The names of the batch being decoded: set for the length of one `decodeRecord`. */
let reading: BatchNames;

/** Reads one record's canonical bytes (against its batch's header); the reader ends after them. */
export function decodeRecord(input: ByteReader, header: BatchHeader): LogRecord {
  const names = (reading = header.names);
  const kind = readKind(input);
  const seq = readSeq(input, header);
  const tick = header.tick + unzigzag(input.varint());
  const actor = readName(input, names);
  const causeCode = input.varint();
  const cause = causeCode === 0 ? 0 : seq - unzigzag(causeCode - 1);
  const shape = kind > SHAPED ? readShape(input, header) : undefined;
  const type = shape ? shape.type : readName(input, names);
  const base = shape ? kind - SHAPED : kind;
  if (base === Kind.Event) {
    const v = input.varint();
    const data = shape ? shape.read(input, names, readValue) : readValue(input, 0);
    return { seq, tick, actor, cause, kind: 'event', type, v, data } satisfies EventRecord;
  }
  const args = shape ? shape.read(input, names, readValue) : readValue(input, 0);
  if (base === Kind.Command)
    return { seq, tick, actor, cause, kind: 'command', type, args } satisfies CommandRecord;
  const error = input.string();
  const message = input.string();
  return {
    seq,
    tick,
    actor,
    cause,
    kind: 'command',
    type,
    args,
    rejection: { error, message },
  } satisfies CommandRecord;
}

const MAX_DEPTH = 256;

function readValue(input: ByteReader, depth: number): unknown {
  if (depth > MAX_DEPTH)
    throw new DecodeError(input.offset, `Values nested deeper than ${MAX_DEPTH}`);
  const at = input.offset;
  const tag = input.byte();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Uint:
      return input.varint();
    case Tag.Negative:
      return -input.varint();
    case Tag.Float:
      return input.float64();
    case Tag.String:
      return input.string();
    case Tag.Bytes:
      return input.raw(input.varint());
    case Tag.Array: {
      const n = input.varint();
      if (n > input.end - input.offset)
        throw new DecodeError(at, `An array of ${n} items cannot fit the data left`);
      const items = new Array<unknown>(n);
      for (let i = 0; i < n; i++) items[i] = readValue(input, depth + 1);
      return items;
    }
    case Tag.Object: {
      const n = input.varint();
      if (n > input.end - input.offset)
        throw new DecodeError(at, `An object of ${n} fields cannot fit the data left`);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const key = readName(input, reading);
        const item = readValue(input, depth + 1);
        // A key named __proto__ must stay a key, not replace the object's prototype.
        if (key === '__proto__')
          Object.defineProperty(out, key, {
            value: item,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else out[key] = item;
      }
      return out;
    }
    default:
      throw new DecodeError(at, `Unknown value tag ${tag}`);
  }
}
