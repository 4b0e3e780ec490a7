import { ChronovisorError, PersistentMap, PersistentSortedMap } from '@chronovisor/core';
import { ByteReader, ByteWriter } from '@chronovisor/store';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Typed arrays at least this long (memory frames, page-table nodes) are stored once, apart from
 * the snapshots, however many snapshots hold them: in memory snapshots share unchanged parts, and
 * in the file they must too, or every snapshot would hold all of memory again.
 */
const SHARED_BYTES = 1024;

const TYPED_ARRAYS = [
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigUint64Array,
  BigInt64Array,
] as const;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[number]>;

const enum Tag {
  Undefined,
  Null,
  False,
  True,
  Uint,
  Number,
  String,
  BigInt,
  Array,
  Object,
  Map,
  Set,
  Typed,
  Shared,
  Seen,
  // Later additions go last: kept snapshots of older runs hold the tags before them.
  PersistentMap,
  PersistentSortedMap,
}

/** A snapshot value that cannot be kept: where it is, and what it is. */
export class SnapshotDataError extends ChronovisorError {}

/**
 * Encodes snapshot data (see `Projection.snapshotToData`): plain objects, arrays, Maps, Sets,
 * the kernel's persistent maps (by their entries), typed arrays, numbers, strings, booleans,
 * bigints, null and undefined, with shared and cyclic references kept. Each large typed array goes on the side the first time any snapshot holds it,
 * under an id later snapshots refer to: identity decides sharing, as between snapshots in memory.
 */
export class SnapshotEncoder {
  private readonly ids = new WeakMap<TypedArray, number>();
  private nextId = 1;
  private readonly out = new ByteWriter();

  /** The encoded state (deflated), and the buffers it holds that no earlier encoding did (deflated). */
  encode(data: unknown): { state: Uint8Array; buffers: [number, Uint8Array][] } {
    const buffers: [number, Uint8Array][] = [];
    const seen = new Map<object, number>();
    const out = this.out;
    out.reset();
    const write = (value: unknown, path: string): void => {
      switch (typeof value) {
        case 'undefined':
          return out.byte(Tag.Undefined);
        case 'boolean':
          return out.byte(value ? Tag.True : Tag.False);
        case 'number':
          if (Number.isSafeInteger(value) && value >= 0 && !Object.is(value, -0)) {
            out.byte(Tag.Uint);
            return out.varint(value);
          }
          out.byte(Tag.Number);
          return out.float64(value);
        case 'string':
          out.byte(Tag.String);
          return out.string(value);
        case 'bigint':
          out.byte(Tag.BigInt);
          return out.string(value.toString());
        case 'object':
          if (value === null) return out.byte(Tag.Null);
          return writeObject(value, path);
        default:
          throw new SnapshotDataError(`${path} is a ${typeof value}, which a snapshot cannot keep`);
      }
    };
    const writeObject = (value: object, path: string): void => {
      const index = seen.get(value);
      if (index !== undefined) {
        out.byte(Tag.Seen);
        return out.varint(index);
      }
      seen.set(value, seen.size);
      const kind = TYPED_ARRAYS.findIndex((type) => value instanceof type);
      if (kind >= 0) return writeTyped(value as TypedArray, kind);
      if (Array.isArray(value)) {
        out.byte(Tag.Array);
        out.varint(value.length);
        // An index loop, not forEach: sparse arrays (persistent vectors' directories) keep their holes' places.
        for (let i = 0; i < value.length; i++) write(value[i], `${path}[${i}]`);
      } else if (value instanceof Map) {
        out.byte(Tag.Map);
        out.varint(value.size);
        for (const [k, v] of value) {
          write(k, `${path}.keys`);
          write(v, `${path}.get(${String(k)})`);
        }
      } else if (value instanceof Set) {
        out.byte(Tag.Set);
        out.varint(value.size);
        for (const item of value) write(item, `${path}.values`);
      } else if (value instanceof PersistentMap || value instanceof PersistentSortedMap) {
        out.byte(value instanceof PersistentMap ? Tag.PersistentMap : Tag.PersistentSortedMap);
        out.varint(value.size);
        for (const [k, v] of value as ReadonlyMap<unknown, unknown>) {
          write(k, `${path}.keys`);
          write(v, `${path}.get(${String(k)})`);
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null)
          throw new SnapshotDataError(
            `${path} is an instance of ${value.constructor.name}: its projection must turn snapshots into plain data (snapshotToData and snapshotFromData)`,
          );
        const keys = Object.keys(value);
        out.byte(Tag.Object);
        out.varint(keys.length);
        for (const key of keys) {
          out.string(key);
          write((value as Record<string, unknown>)[key], `${path}.${key}`);
        }
      }
    };
    const writeTyped = (array: TypedArray, kind: number): void => {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      if (array.byteLength < SHARED_BYTES) {
        out.byte(Tag.Typed);
        out.byte(kind);
        out.varint(bytes.length);
        return out.raw(bytes);
      }
      let id = this.ids.get(array);
      if (id === undefined) {
        id = this.nextId++;
        this.ids.set(array, id);
        const kept = new Uint8Array(1 + bytes.length);
        kept[0] = kind;
        kept.set(bytes, 1);
        // Level 1: memory frames are most of an index's bytes; the default level took twice the
        // time to make them 12% smaller.
        buffers.push([id, deflateRawSync(kept, { level: 1 })]);
      }
      out.byte(Tag.Shared);
      out.varint(id);
    };
    write(data, '$');
    return { state: deflateRawSync(out.take()), buffers };
  }
}

/**
 * Decodes what {@link SnapshotEncoder} made, fetching shared buffers through `buffer`, each once:
 * snapshots one decoder reads share them again, as they did when taken.
 */
export class SnapshotDecoder {
  private readonly shared = new Map<number, TypedArray>();

  constructor(private readonly buffer: (id: number) => Uint8Array) {}

  decode(state: Uint8Array): unknown {
    const input = new ByteReader(inflateRawSync(state));
    const seen: object[] = [];
    const read = (): unknown => {
      const tag = input.byte() as Tag;
      switch (tag) {
        case Tag.Undefined:
          return undefined;
        case Tag.Null:
          return null;
        case Tag.False:
          return false;
        case Tag.True:
          return true;
        case Tag.Uint:
          return input.varint();
        case Tag.Number:
          return input.float64();
        case Tag.String:
          return input.string();
        case Tag.BigInt:
          return BigInt(input.string());
        case Tag.Seen: {
          const index = input.varint();
          if (index >= seen.length)
            throw new SnapshotDataError(`A snapshot refers to value ${index} before it`);
          return seen[index];
        }
        case Tag.Array: {
          const array: unknown[] = new Array(input.varint());
          seen.push(array);
          for (let i = 0; i < array.length; i++) array[i] = read();
          return array;
        }
        case Tag.Object: {
          const object: Record<string, unknown> = {};
          seen.push(object);
          for (let n = input.varint(); n > 0; n--) {
            const key = input.string();
            // defineProperty: a key named __proto__ is data, not the object's prototype.
            Object.defineProperty(object, key, {
              value: read(),
              writable: true,
              enumerable: true,
              configurable: true,
            });
          }
          return object;
        }
        case Tag.Map: {
          const map = new Map<unknown, unknown>();
          seen.push(map);
          for (let n = input.varint(); n > 0; n--) {
            const key = read();
            map.set(key, read());
          }
          return map;
        }
        case Tag.Set: {
          const set = new Set<unknown>();
          seen.push(set);
          for (let n = input.varint(); n > 0; n--) set.add(read());
          return set;
        }
        case Tag.PersistentMap:
        case Tag.PersistentSortedMap: {
          // Made from its entries once they are read: a place keeps its turn among `seen` now.
          const at = seen.push(undefined as unknown as object) - 1;
          const entries: [never, unknown][] = [];
          for (let n = input.varint(); n > 0; n--) entries.push([read() as never, read()]);
          const map =
            tag === Tag.PersistentMap
              ? PersistentMap.from(entries)
              : PersistentSortedMap.from(entries as [number, unknown][]);
          seen[at] = map;
          return map;
        }
        case Tag.Typed: {
          const kind = input.byte();
          const array = typed(kind, input.raw(input.varint()));
          seen.push(array);
          return array;
        }
        case Tag.Shared: {
          const array = this.sharedBuffer(input.varint());
          seen.push(array);
          return array;
        }
        default:
          throw new SnapshotDataError(`A snapshot holds an unknown tag ${String(tag)}`);
      }
    };
    return read();
  }

  private sharedBuffer(id: number): TypedArray {
    let array = this.shared.get(id);
    if (!array) {
      const kept = inflateRawSync(this.buffer(id));
      array = typed(kept[0]!, kept.subarray(1));
      this.shared.set(id, array);
    }
    return array;
  }
}

/** A typed array of `kind` over a copy of `bytes` (its own, aligned buffer). */
function typed(kind: number, bytes: Uint8Array): TypedArray {
  const type = TYPED_ARRAYS[kind];
  if (!type) throw new SnapshotDataError(`A snapshot holds a typed array of unknown kind ${kind}`);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new type(copy.buffer);
}
