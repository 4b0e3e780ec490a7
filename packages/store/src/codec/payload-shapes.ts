import type { BatchNames, NameTable } from './batch-names';
import { DecodeError, type ByteReader } from './byte-reader';
import type { ByteWriter } from './byte-writer';

/*
 * A record's payload is nearly always an object of a few fields, of one layout per record type:
 * a shape. A batch lists the shapes its records use, once, after its names; a shaped record writes
 * only its fields' values, in the shape's (sorted) key order, without keys or tags. Each field's
 * kind is decided by its value alone, so a payload has one shape whatever made it (a literal, a
 * schema, JSON), and equal payloads one spelling:
 *
 *   shapes = count:varint shape*             numbered from 0 in order of first use in the batch
 *   shape  = type:name fields:varint (key:name kind:byte)*   keys sorted by UTF-16 code units
 *   kind   = 0 value (any other: tagged, as the generic encoding writes it)
 *          | 1 unsigned integer below 2^53 (-0 is 0): varint
 *          | 2 boolean: one byte, 0 or 1
 *          | 3 string: a name (the batch's names hold it)
 *          | 4 bytes: length:varint raw
 */

/** The kind of a shaped field; `Absent` (an undefined value) is no field at all. */
export const Field = { Value: 0, Uint: 1, Bool: 2, Name: 3, Bytes: 4, Absent: -1 } as const;
export type FieldKind = (typeof Field)[keyof typeof Field];

/** Objects with more fields than this are written the generic way. */
export const MAX_SHAPE_FIELDS = 64;

/** The field kind of a value: what the value alone decides. */
export function fieldOf(v: unknown): FieldKind {
  switch (typeof v) {
    case 'undefined':
      return Field.Absent;
    case 'number':
      return v >= 0 && Number.isSafeInteger(v) ? Field.Uint : Field.Value;
    case 'boolean':
      return Field.Bool;
    case 'string':
      return Field.Name;
    default:
      return v instanceof Uint8Array ? Field.Bytes : Field.Value;
  }
}

/** Whether a payload is written through a shape: a plain object of few fields, none `__proto__`. */
export function isShapeable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(v, '__proto__');
}

/** Writes one generic value (a `Field.Value`). */
export type ValueWriter = (out: ByteWriter, v: unknown) => void;
/** Reads one generic value. */
export type ValueReader = (input: ByteReader, depth: number) => unknown;

export function readField(
  input: ByteReader,
  kind: FieldKind,
  names: BatchNames,
  value: ValueReader,
): unknown {
  switch (kind) {
    case Field.Uint:
      return input.varint();
    case Field.Bool: {
      const at = input.offset;
      const b = input.byte();
      if (b > 1) throw new DecodeError(at, `A boolean field holds ${b}, not 0 or 1`);
      return b === 1;
    }
    case Field.Name: {
      const at = input.offset;
      return names.name(input.varint(), at);
    }
    case Field.Bytes:
      return input.raw(input.varint());
    default:
      return value(input, 1);
  }
}

// ---- writing ---------------------------------------------------------------------------------

/** A shape as a batch being written lists it: its type's and keys' names, its fields' kinds. */
interface ShapeEntry {
  readonly type: number;
  readonly keys: readonly number[];
  readonly kinds: readonly FieldKind[];
}

/** The shapes of a batch being written: numbered in order of first use. */
export class ShapeTable {
  private readonly ids = new Map<string, number>();
  private readonly list: { readonly signature: string; readonly entry: ShapeEntry }[] = [];

  get size(): number {
    return this.list.length;
  }

  /** The number of the shape of `signature`, listing it (its names from `names`) if new. */
  id(
    signature: string,
    layout: Pick<Layout, 'type' | 'sortedKeys' | 'sortedKinds'>,
    names: NameTable,
  ): number {
    let id = this.ids.get(signature);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(signature, id);
      const type = names.id(layout.type);
      const keys = layout.sortedKeys.map((key) => names.id(key));
      this.list.push({ signature, entry: { type, keys, kinds: layout.sortedKinds } });
    }
    return id;
  }

  /** Forgets the shapes numbered from `size` on (listed by a record then not written). */
  truncate(size: number): void {
    while (this.list.length > size) this.ids.delete(this.list.pop()!.signature);
  }

  write(out: ByteWriter): void {
    out.varint(this.list.length);
    for (const { entry } of this.list) {
      out.varint(entry.type);
      out.varint(entry.keys.length);
      for (let i = 0; i < entry.keys.length; i++) {
        out.varint(entry.keys[i]!);
        out.byte(entry.kinds[i]!);
      }
    }
  }

  reset(): void {
    this.ids.clear();
    this.list.length = 0;
  }
}

/**
 * A payload layout of one record type: its keys in the order objects of it hold them, and each
 * value's kind. Records of a type nearly always share one, so whether a payload is of the layout
 * is checked, and its values written, by code generated for it, without sorting or classifying.
 */
export interface Layout {
  readonly type: string;
  /** The keys as the payload enumerates them (undefined values included: kind Absent). */
  readonly keys: readonly string[];
  readonly kinds: readonly FieldKind[];
  /** The fields written: keys of defined values, sorted, and their kinds. */
  readonly sortedKeys: readonly string[];
  readonly sortedKinds: readonly FieldKind[];
  /** What the batch's shape list holds it as. */
  readonly signature: string;
  /** True if `v` has exactly these keys in this order, each value of its kind. */
  readonly fits: (v: Record<string, unknown>) => boolean;
  /** Writes `v`'s fields (it fits), naming through `names`, of the numbering `generation`. */
  readonly write: (
    out: ByteWriter,
    v: Record<string, unknown>,
    names: NameTable,
    generation: number,
  ) => void;
  /** The layout's shape number in the batch of `generation`. */
  shape: number;
  generation: number;
}

/** The layout of a shapeable payload of `type`, compiled once a process for each layout seen. */
export function layoutOf(type: string, v: Record<string, unknown>, value: ValueWriter): Layout {
  const keys = Object.keys(v);
  const kinds = keys.map((key) => fieldOf(v[key]));
  const key = JSON.stringify([type, keys, kinds]);
  let layout = layouts.get(key);
  if (layout === undefined) {
    layout = compileLayout(type, keys, kinds, value);
    // Past the bound (a log of ever new layouts) layouts are still made, just not kept.
    if (layouts.size < MAX_LAYOUTS) layouts.set(key, layout);
  }
  return layout;
}
const layouts = new Map<string, Layout>();
const MAX_LAYOUTS = 4096;

/** Counts how many fields of `v` are defined (a layout's fields). */
export function definedFields(v: Record<string, unknown>): number {
  let n = 0;
  for (const key in v) if (v[key] !== undefined) n++;
  return n;
}

function compileLayout(
  type: string,
  keys: readonly string[],
  kinds: readonly FieldKind[],
  value: ValueWriter,
): Layout {
  const order = keys
    .map((key, i) => ({ key, kind: kinds[i]! }))
    .filter(({ kind }) => kind !== Field.Absent)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sortedKeys = order.map(({ key }) => key);
  const sortedKinds = order.map(({ kind }) => kind);
  const signature = JSON.stringify([type, sortedKeys, sortedKinds]);
  const q = (key: string) => JSON.stringify(key);
  const isKind: Record<FieldKind, (x: string) => string> = {
    [Field.Absent]: (x) => `${x} === undefined`,
    [Field.Uint]: (x) =>
      `typeof ${x} === 'number' && ((${x} >>> 0) === ${x} || (${x} >= 0 && Number.isSafeInteger(${x})))`,
    [Field.Bool]: (x) => `typeof ${x} === 'boolean'`,
    [Field.Name]: (x) => `typeof ${x} === 'string'`,
    [Field.Bytes]: (x) => `${x} instanceof Uint8Array`,
    [Field.Value]: (x) => `kindOf(${x}) === ${Field.Value}`,
  };
  const fitsSource = [
    'return function fits(v) {',
    '  let i = 0;',
    '  for (const key in v) if (key !== keys[i++]) return false;',
    `  if (i !== ${keys.length}) return false;`,
    ...keys.map((key, i) => `  if (!(${isKind[kinds[i]!](`v[${q(key)}]`)})) return false;`),
    '  return true;',
    '};',
  ].join('\n');
  // Room for what is written in place: a varint of up to 8 bytes, or a boolean, or bytes of up
  // to 32 and their length, a field (anything longer makes room for itself).
  const room = order.reduce((sum, { kind }) => sum + (kind === Field.Bytes ? 33 : 8), 1);
  const names = order.map((_, i) => `s${i}, n${i}`).join(', ');
  const writeSource = [
    `let seen = 0${names ? `, ${names}` : ''};`,
    'return function write(out, v, table, generation) {',
    // A string field's name is looked up again only when its value changes (rarely: an enum's).
    '  if (generation !== seen) {',
    '    seen = generation;',
    ...order.map((_, i) => `    s${i} = undefined;`),
    '  }',
    '  out.reserve(room);',
    '  let b = out.bytes;',
    '  let at = out.length;',
    '  let x, k;',
    ...order.map(({ key, kind }, i) => {
      const read = `  x = v[${q(key)}];`;
      const reserve = '  out.reserve(room); b = out.bytes; at = out.length;';
      switch (kind) {
        case Field.Uint:
          return [
            read,
            '  if ((x >>> 0) === x) {',
            '    while (x >= 0x80) { b[at++] = (x & 0x7f) | 0x80; x >>>= 7; }',
            '    b[at++] = x;',
            '  } else { out.length = at; out.varint(x); at = out.length; }',
          ].join('\n');
        case Field.Bool:
          return `${read}\n  b[at++] = x ? 1 : 0;`;
        case Field.Name:
          return [
            read,
            `  if (x !== s${i}) { s${i} = x; n${i} = table.id(x); }`,
            `  k = n${i};`,
            '  while (k >= 0x80) { b[at++] = (k & 0x7f) | 0x80; k >>>= 7; }',
            '  b[at++] = k;',
          ].join('\n');
        case Field.Bytes:
          return [
            read,
            '  k = x.length;',
            '  if (k < 0x20) { b[at++] = k; for (let i = 0; i < k; i++) b[at++] = x[i]; }',
            `  else { out.length = at; out.varint(k); out.raw(x);\n${reserve} }`,
          ].join('\n');
        default:
          return [read, '  out.length = at; value(out, x);', reserve].join('\n');
      }
    }),
    '  out.length = at;',
    '};',
  ].join('\n');
  // Generated from the keys alone, each quoted with JSON.stringify.
  /* eslint-disable @typescript-eslint/no-implied-eval */
  const fits = new Function('keys', 'kindOf', fitsSource) as (
    keys: readonly string[],
    kindOf: typeof fieldOf,
  ) => Layout['fits'];
  const write = new Function('room', 'value', writeSource) as (
    room: number,
    value: ValueWriter,
  ) => Layout['write'];
  /* eslint-enable @typescript-eslint/no-implied-eval */
  return {
    type,
    keys,
    kinds,
    sortedKeys,
    sortedKinds,
    signature,
    fits: fits(keys, fieldOf),
    write: write(room, value),
    shape: 0,
    generation: 0,
  };
}

// ---- reading ---------------------------------------------------------------------------------

/** A shape of a stored batch: its type, its keys and their kinds, and a reader made for them. */
export interface BatchShape {
  /** The type's number among the batch's names. */
  readonly typeId: number;
  readonly type: string;
  readonly keys: readonly string[];
  readonly kinds: readonly FieldKind[];
  readonly read: ShapeReader;
}

/** Reads a shaped payload's values into the object they make. */
export type ShapeReader = (input: ByteReader, names: BatchNames, value: ValueReader) => unknown;

/** Reads a batch's shapes section; the reader ends after it. */
export function readShapes(input: ByteReader, names: BatchNames): BatchShape[] {
  const count = input.varint();
  if (count > input.end - input.offset)
    throw new DecodeError(input.offset, `${count} shapes cannot fit the data left`);
  const shapes = new Array<BatchShape>(count);
  for (let s = 0; s < count; s++) {
    const at = input.offset;
    const typeId = input.varint();
    const type = names.name(typeId, at);
    const n = input.varint();
    if (n > MAX_SHAPE_FIELDS)
      throw new DecodeError(at, `A shape of ${n} fields (at most ${MAX_SHAPE_FIELDS})`);
    const keys = new Array<string>(n);
    const kinds = new Array<FieldKind>(n);
    for (let i = 0; i < n; i++) {
      const keyAt = input.offset;
      keys[i] = names.name(input.varint(), keyAt);
      if (i > 0 && !(keys[i - 1]! < keys[i]!))
        throw new DecodeError(keyAt, `Shape ${s}'s keys are not in sorted order`);
      if (keys[i] === '__proto__')
        throw new DecodeError(keyAt, `Shape ${s} has a __proto__ key (never shaped)`);
      const kindAt = input.offset;
      const kind = input.byte();
      if (kind > Field.Bytes) throw new DecodeError(kindAt, `Unknown field kind ${kind}`);
      kinds[i] = kind as FieldKind;
    }
    shapes[s] = { typeId, type, keys, kinds, read: readerOf(keys, kinds) };
  }
  return shapes;
}

/** Moves past a batch's shapes section, checking its structure; returns how many it holds. */
export function skipShapes(input: ByteReader): number {
  const count = input.varint();
  for (let s = 0; s < count; s++) {
    input.varint();
    const n = input.varint();
    for (let i = 0; i < n; i++) {
      input.varint();
      input.byte();
    }
  }
  return count;
}

function readerOf(keys: readonly string[], kinds: readonly FieldKind[]): ShapeReader {
  const key = JSON.stringify([keys, kinds]);
  let reader = readers.get(key);
  if (reader === undefined) {
    reader = compileReader(keys, kinds);
    if (readers.size < MAX_LAYOUTS) readers.set(key, reader);
  }
  return reader;
}
const readers = new Map<string, ShapeReader>();

/** Generated code reading a shape's values and making its object with one literal. */
function compileReader(keys: readonly string[], kinds: readonly FieldKind[]): ShapeReader {
  const lines = ['const b = input.bytes;', 'const end = input.end;'];
  kinds.forEach((kind, i) => {
    if (kind === Field.Uint)
      // A value under 128, nearly all of them, inline; longer ones (and the end) by the reader.
      lines.push(
        `let x${i};`,
        'if (input.offset < end && b[input.offset] < 0x80) { x' + i + ' = b[input.offset++]; }',
        `else { x${i} = input.varint(); }`,
      );
    else lines.push(`const x${i} = readField(input, ${kind}, names, value);`);
  });
  lines.push(`return { ${keys.map((key, i) => `${JSON.stringify(key)}: x${i}`).join(', ')} };`);
  // Generated from the keys alone, each quoted with JSON.stringify (never __proto__).
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const read = new Function('readField', 'input', 'names', 'value', lines.join('\n')) as (
    field: typeof readField,
    input: ByteReader,
    names: BatchNames,
    value: ValueReader,
  ) => unknown;
  return (input, names, value) => read(readField, input, names, value);
}
