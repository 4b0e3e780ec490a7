import {
  canonicalJson,
  type CommandRecord,
  type EventRecord,
  type LogRecord,
} from '@chronovisor/core';
import { BatchNames, NameTable } from './batch-names';
import { ByteReader, DecodeError } from './byte-reader';
import { ByteWriter } from './byte-writer';

/*
 * The canonical bytes of a record: what its batch's Merkle leaf hashes, and what a third party
 * recomputes from the records alone to check an inclusion proof. One spelling per value (object
 * keys sorted, -0 written as 0), little-endian, integers as LEB128 varints. Actors, types and
 * object keys are names: numbers into the names section of the record's batch (see batch-names).
 *
 *   record  = kind:byte seq:varint tick:varint actor:name cause:varint type:name rest
 *   command : kind 1 (accepted) | 2 (rejected); rest = args:value [error:string message:string]
 *   event   : kind 3;                            rest = v:varint data:value
 *   value   = 0 null | 1 false | 2 true | 3 uint:varint | 4 negative:varint(-n) | 5 float64
 *           | 6 string | 7 bytes:varint+raw | 8 array:varint+values | 9 object:varint+(name value)*
 *   string  = utf8-length:varint utf8
 *   name    = varint, the name's number in the batch
 */

const Kind = { Command: 1, Rejected: 2, Event: 3 } as const;

/** The first byte of an event's canonical bytes (a command's is 1, or 2 when refused). */
export const EVENT_KIND = Kind.Event;

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
let names: NameTable = new NameTable();

/** Appends the canonical bytes of `record` to `out`, naming through `table` (its batch's names). */
export function encodeRecord(out: ByteWriter, record: LogRecord, table: NameTable): void {
  const start = out.length;
  const before = table.size;
  names = table;
  try {
    encode(out, record);
  } catch (error) {
    out.length = start;
    table.truncate(before); // a record not written names nothing
    if (!(error instanceof NotPlainData)) throw error;
    // Found cheaply, named expensively: the slow encoder knows the path of what is wrong.
    canonicalJson(record.kind === 'event' ? { data: record.data } : { args: record.args });
    throw error;
  }
}

/** Thrown by the fast path; {@link encodeRecord} turns it into a NotPlainDataError with the path. */
class NotPlainData extends Error {}

function encode(out: ByteWriter, record: LogRecord): void {
  const type = typeOf(record.type);
  if (record.kind === 'event') {
    out.byte(Kind.Event);
    header(out, record, type);
    out.varint(record.v);
    payload(out, type, record.data);
    return;
  }
  out.byte(record.rejection ? Kind.Rejected : Kind.Command);
  header(out, record, type);
  payload(out, type, record.args);
  if (record.rejection) {
    out.string(record.rejection.error);
    out.string(record.rejection.message);
  }
}

function header(out: ByteWriter, record: LogRecord, type: RecordType): void {
  out.varint(record.seq);
  out.varint(record.tick);
  out.varint(names.id(record.actor));
  out.varint(record.cause);
  if (type.generation !== names.generation) {
    type.generation = names.generation;
    type.id = names.id(type.name);
  }
  out.varint(type.id);
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

/**
 * A payload's shape, learned from the last payload of its type: its keys in the order they came
 * (the literal or schema that made them), and an encoder compiled for them. Payloads of one type
 * nearly always share a shape, so the keys are sorted and encoded once, not per record.
 */
interface Shape {
  readonly keys: readonly string[];
  readonly encode: (out: ByteWriter, v: Record<string, unknown>) => void;
}

/** What the codec learns of a record type: its name, its number in the batch, its payloads' shape and reader. */
interface RecordType {
  readonly name: string;
  /** Its number in the names of the batch of `generation`. */
  id: number;
  generation: number;
  shape?: Shape;
  reader?: ShapeReader;
}
const types = new Map<string, RecordType>();
/** The types learned at most: past it (a log of generated type names), nothing more is kept. */
const MAX_TYPES = 4096;

function typeOf(name: string): RecordType {
  let type = types.get(name);
  if (type === undefined) {
    type = { name, id: 0, generation: 0 };
    if (types.size < MAX_TYPES) types.set(name, type);
  }
  return type;
}
/** Keys beyond this, or beyond the count's one byte, are left to the generic encoder. */
const MAX_SHAPE_KEYS = 64;

/** A record's args or data: as `value` writes it, through its type's shape when it fits. */
function payload(out: ByteWriter, type: RecordType, v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) {
    value(out, v);
    return;
  }
  const fields = v as Record<string, unknown>;
  const shape = type.shape;
  if (shape !== undefined && fits(shape, fields)) {
    shape.encode(out, fields);
    return;
  }
  value(out, v);
  const keys = Object.keys(fields);
  if (keys.length <= MAX_SHAPE_KEYS) type.shape = { keys, encode: compileShape(keys) };
}

function fits(shape: Shape, v: Record<string, unknown>): boolean {
  const keys = shape.keys;
  let i = 0;
  for (const key in v) if (key !== keys[i++]) return false;
  return i === keys.length;
}

/**
 * An encoder for objects with these keys, generated as straight-line code: the keys in sorted
 * order, each named once a batch (its number kept until the batch's names start again), and
 * small unsigned integers (most values) written inline; anything else through `value`. Byte for
 * byte what `object` writes: a key is named only when written, as `object` names it.
 */
function compileShape(keys: readonly string[]): Shape['encode'] {
  const sorted = [...keys].sort();
  const ids = new Int32Array(sorted.length);
  let generation = 0;
  const room = 2 + 14 * sorted.length; // per key: a name of up to 4 bytes, a tag, a 9-byte varint
  const fields = sorted.map((key, i) => {
    const name = JSON.stringify(key);
    return [
      `x = v[${name}];`,
      'if (x !== undefined) {',
      `  k = ids[${i}];`,
      `  if (k < 0) k = ids[${i}] = names.id(${name});`,
      '  while (k >= 0x80) { b[at++] = (k & 0x7f) | 0x80; k >>>= 7; }',
      '  b[at++] = k;',
      // A non-negative integer below 2^31 (or -0, which is written as 0): inline.
      `  if (typeof x === 'number' && (x | 0) === x && x >= 0) {`,
      `    b[at++] = ${Tag.Uint};`,
      '    while (x >= 0x80) { b[at++] = (x & 0x7f) | 0x80; x >>>= 7; }',
      '    b[at++] = x;',
      '  } else {',
      '    out.length = at; value(out, x); out.reserve(room); b = out.bytes; at = out.length;',
      '  }',
      '}',
    ].join('\n');
  });
  const source = [
    'let count = 0;',
    ...sorted.map((key) => `if (v[${JSON.stringify(key)}] !== undefined) count++;`),
    `out.reserve(room);`,
    'let b = out.bytes;',
    'let at = out.length;',
    'let x;',
    'let k;',
    `b[at++] = ${Tag.Object};`,
    'b[at++] = count;',
    ...fields,
    'out.length = at;',
  ].join('\n');
  // Generated from the keys alone, each quoted with JSON.stringify.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const encode = new Function('value', 'room', 'ids', 'names', 'out', 'v', source) as (
    write: typeof value,
    room: number,
    ids: Int32Array,
    table: NameTable,
    out: ByteWriter,
    v: Record<string, unknown>,
  ) => void;
  return (out, v) => {
    if (generation !== names.generation) {
      generation = names.generation;
      ids.fill(-1);
    }
    encode(value, room, ids, names, out, v);
  };
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

function readKind(input: ByteReader): number {
  const at = input.offset;
  const kind = input.byte();
  if (kind !== Kind.Command && kind !== Kind.Rejected && kind !== Kind.Event) {
    throw new DecodeError(at, `Not a record: kind byte ${kind}`);
  }
  return kind;
}

/** Whether the record the reader is at is an event (so a reader after events may skip the rest). */
export function atEvent(input: ByteReader): boolean {
  return input.bytes[input.offset] === Kind.Event;
}

/** A name: its number, read as the name it stands for in `batch`. */
function readName(input: ByteReader, batch: BatchNames): string {
  const at = input.offset;
  return batch.name(input.varint(), at);
}

/** A record's type, read from the head of its canonical bytes: the payload is not decoded. */
export function recordType(input: ByteReader, batch: BatchNames): string {
  readKind(input);
  input.varint(); // seq
  input.varint(); // tick
  input.varint(); // actor
  input.varint(); // cause
  return readName(input, batch);
}

/** The names of the batch being decoded: set for the length of one `decodeRecord`. */
let reading = new BatchNames([]);

/** Reads one record's canonical bytes (names are its batch's); the reader ends after them. */
export function decodeRecord(input: ByteReader, batch: BatchNames): LogRecord {
  reading = batch;
  const kind = readKind(input);
  const seq = input.varint();
  const tick = input.varint();
  const actor = readName(input, batch);
  const cause = input.varint();
  const type = readName(input, batch);
  if (kind === Kind.Event) {
    const v = input.varint();
    const event: EventRecord = {
      seq,
      tick,
      actor,
      cause,
      kind: 'event',
      type,
      v,
      data: readPayload(input, typeOf(type)),
    };
    return event;
  }
  const args = readPayload(input, typeOf(type));
  if (kind === Kind.Command)
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

/**
 * A payload's reader, learned from the last payload of its type: the object's keys as bytes to
 * compare (no string made), and small unsigned integers read inline, building the object with
 * one literal. Undecided (another shape, or anything it does not read inline but through
 * `readValue`) means: read it the generic way.
 */
type ShapeReader = (input: ByteReader, read: typeof readValue) => unknown;
const NOT_THIS_SHAPE = Symbol('not this shape');

/** A record's args or data: as `readValue` reads it, through its type's learned reader when it fits. */
function readPayload(input: ByteReader, type: RecordType): unknown {
  const reader = type.reader;
  if (reader !== undefined) {
    const start = input.offset;
    const value = reader(input, readValue);
    if (value !== NOT_THIS_SHAPE) return value;
    input.offset = start;
  }
  const value = readValue(input, 0);
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length <= MAX_SHAPE_KEYS && !keys.includes('__proto__'))
      type.reader = compileReader(keys);
  }
  return value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Generated code reading an object with exactly these (sorted) keys, in canonical order: each key's
 * number in the batch being read is looked up once a batch, then compared as a byte.
 */
function compileReader(keys: readonly string[]): ShapeReader {
  const lines = [
    'const b = input.bytes;',
    'const end = input.end;',
    'let at = input.offset;',
    `if (at + 2 > end || b[at] !== ${Tag.Object} || b[at + 1] !== ${keys.length}) return NO;`,
    'at += 2;',
    'let x;',
  ];
  keys.forEach((_key, i) => {
    lines.push(
      `if (at + 3 > end || b[at] !== ids[${i}]) return NO;`,
      'at += 1;',
      // A small unsigned integer inline; any other value the generic way.
      `if (b[at] === ${Tag.Uint} && b[at + 1] < 0x80) { x${i} = b[at + 1]; at += 2; }`,
      `else { input.offset = at; x${i} = read(input, 1); at = input.offset; }`,
    );
  });
  lines.push(
    'input.offset = at;',
    `return { ${keys.map((key, i) => `${JSON.stringify(key)}: x${i}`).join(', ')} };`,
  );
  const declared = keys.map((_, i) => `x${i}`).join(', ');
  const source = (declared ? `let ${declared};\n` : '') + lines.join('\n');
  // Generated from the keys alone, each quoted with JSON.stringify.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const reader = new Function('NO', 'ids', 'input', 'read', source) as (
    no: symbol,
    ids: Int32Array,
    input: ByteReader,
    read: typeof readValue,
  ) => unknown;
  const ids = new Int32Array(keys.length);
  let generation = 0;
  let usable = false;
  return (input, read) => {
    if (generation !== reading.generation) {
      generation = reading.generation;
      // Numbers of a byte only (a batch names far fewer than 128 things, nearly always).
      keys.forEach((key, i) => (ids[i] = reading.idOf(key)));
      usable = ids.every((id) => id >= 0 && id < 0x80);
    }
    return usable ? reader(NOT_THIS_SHAPE, ids, input, read) : NOT_THIS_SHAPE;
  };
}

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

/**
 * Moves past one record's canonical bytes, checking their structure as `decodeRecord` would but
 * building nothing (names are checked to be among the batch's `nameCount`), and returns its seq:
 * what verification needs, several times faster.
 */
export function skipRecord(input: ByteReader, nameCount: number): number {
  const kind = readKind(input);
  const seq = input.varint();
  input.varint(); // tick
  skipName(input, nameCount); // actor
  input.varint(); // cause
  skipName(input, nameCount); // type
  if (kind === Kind.Event) input.varint(); // v
  skipValue(input, 0, nameCount);
  if (kind === Kind.Rejected) {
    input.skip(input.varint());
    input.skip(input.varint());
  }
  return seq;
}

function skipName(input: ByteReader, nameCount: number): void {
  const at = input.offset;
  const id = input.varint();
  if (id >= nameCount)
    throw new DecodeError(at, `Name ${id} is not one of the batch's ${nameCount}`);
}

function skipValue(input: ByteReader, depth: number, nameCount: number): void {
  if (depth > MAX_DEPTH)
    throw new DecodeError(input.offset, `Values nested deeper than ${MAX_DEPTH}`);
  const at = input.offset;
  const tag = input.byte();
  switch (tag) {
    case Tag.Null:
    case Tag.False:
    case Tag.True:
      return;
    case Tag.Uint:
    case Tag.Negative:
      input.varint();
      return;
    case Tag.Float:
      input.skip(8);
      return;
    case Tag.String:
    case Tag.Bytes:
      input.skip(input.varint());
      return;
    case Tag.Array: {
      const n = input.varint();
      for (let i = 0; i < n; i++) skipValue(input, depth + 1, nameCount);
      return;
    }
    case Tag.Object: {
      const n = input.varint();
      for (let i = 0; i < n; i++) {
        skipName(input, nameCount);
        skipValue(input, depth + 1, nameCount);
      }
      return;
    }
    default:
      throw new DecodeError(at, `Unknown value tag ${tag}`);
  }
}
