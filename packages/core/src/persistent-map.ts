/*
 * A hash array mapped trie (Bagwell; Clojure's PersistentHashMap layout). Each node is a 32-bit
 * bitmap of occupied slots and two cells per occupied slot: [key, value] for an entry, or
 * [undefined, child] for a sub-trie (keys are never undefined). Each level reads 5 bits of the
 * key's hash; once all 32 are read (past shift 30), nodes are collision lists of keys sharing
 * one hash. An update copies only the nodes on its path, so a snapshot costs O(log32 n) per
 * change rather than a copy of the whole map. Deletion keeps the trie canonical: a sub-trie left
 * with one entry moves up into its parent's slot, so no node but the root is empty or a lone
 * entry.
 */

type Owner = object;

/**
 * A trie node: [bitmap, owner, ...cells], where `owner` is the batch that may still edit it in
 * place (null: nobody). One array, not an object holding an array: lookups on big maps are
 * bound by cache misses, and this saves one pointer to chase per level.
 */
type Node = unknown[];
const OWNER = 1;
/** Where the cells start. */
const HEAD = 2;

const BITS = 5;
const MASK = 31;
/** The last shift that still reads hash bits; nodes below it are collision lists. */
const MAX_SHIFT = 30;
const EMPTY_NODE: Node = [0, null];

// Bound once: a global lookup per call is slow where globals are proxied (jest's vm contexts).
const imul = Math.imul;
const is = Object.is;
const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

/** MurmurHash3's finalizer: every input bit reaches every output bit, so low bits are usable. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hashKey(key: string | number): number {
  if (typeof key === 'number') {
    if ((key | 0) === key) return fmix(key | 0); // int32s, -0 as 0: no memory traffic
    if (key !== key) return 0x7ff80000; // every NaN is one key, whatever its bits
    float[0] = key;
    return fmix(floatWords[0]! ^ imul(floatWords[1]!, 0x9e3779b1));
  }
  // FNV-1a; its low bits depend only on each char's low bits, hence the finalizer.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = imul(h ^ key.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/** Map's SameValueZero: === except that NaN equals NaN (and -0 is stored as +0). */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/** The index of `bit`'s slot: past the head, two cells per occupied slot below it (popcount). */
function slotIndex(bitmap: number, bit: number): number {
  let x = bitmap & (bit - 1);
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return HEAD + ((imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) << 1);
}

/** What `has` asks `find` to return for a missing key: unlike undefined, no value can be it. */
const ABSENT = {};

function find(root: Node, key: string | number, notFound: unknown): unknown {
  const hash = hashKey(key);
  let node = root;
  for (let shift = 0; shift <= MAX_SHIFT; shift += BITS) {
    const bitmap = node[0] as number;
    const bit = 1 << ((hash >>> shift) & MASK);
    if ((bitmap & bit) === 0) return notFound;
    const i = slotIndex(bitmap, bit);
    const k = node[i];
    if (k !== undefined) return sameKey(k, key) ? node[i + 1] : notFound;
    node = node[i + 1] as Node;
  }
  for (let i = HEAD; i < node.length; i += 2) if (sameKey(node[i], key)) return node[i + 1];
  return notFound;
}

// The write in progress. Writes run no user code, so module state is safe, and it spares the
// recursion four arguments and the caller an allocated result; `delta` is the size change.
let owner: Owner | null = null;
let opHash = 0;
let opKey: unknown;
let opValue: unknown;
let delta = 0;

function write(root: Node, by: Owner | null, key: string | number, v: unknown, del: boolean): Node {
  owner = by;
  opHash = hashKey(key);
  opKey = key === 0 ? 0 : key;
  opValue = v;
  delta = 0;
  const next = del ? deleteIn(root, 0) : setIn(root, 0);
  opKey = opValue = undefined; // hold no reference to the caller's data
  return next;
}

/** `n` with cells i, i+1 set to a, b: in place if the current batch owns `n`, else in a copy. */
function withCells(n: Node, i: number, a: unknown, b: unknown): Node {
  const edited = owner !== null && n[OWNER] === owner ? n : n.slice();
  edited[OWNER] = owner;
  edited[i] = a;
  edited[i + 1] = b;
  return edited;
}

/** `n` with cells i and i+1 inserted (`bit` set) or removed (`bit` cleared), copied once. */
function resized(n: Node, i: number, bit: number, insert: boolean): Node {
  const bitmap = insert ? (n[0] as number) | bit : (n[0] as number) & ~bit;
  if (owner !== null && n[OWNER] === owner) {
    if (insert) n.splice(i, 0, opKey, opValue);
    else n.splice(i, 2);
    n[0] = bitmap;
    return n;
  }
  // Built by hand: slice + splice would copy the tail twice.
  const gap = insert ? 2 : -2;
  const out = new Array<unknown>(n.length + gap);
  out[0] = bitmap;
  out[OWNER] = owner;
  for (let j = HEAD; j < i; j++) out[j] = n[j];
  for (let j = insert ? i : i + 2; j < n.length; j++) out[j + gap] = n[j];
  if (insert) {
    out[i] = opKey;
    out[i + 1] = opValue;
  }
  return out;
}

/** Where the key being written sits in collision list `n`, or `n.length` if it is absent. */
function collisionIndex(n: Node): number {
  let i = HEAD;
  while (i < n.length && !sameKey(n[i], opKey)) i += 2;
  return i;
}

function setIn(n: Node, shift: number): Node {
  if (shift > MAX_SHIFT) {
    const i = collisionIndex(n);
    if (i < n.length) return is(n[i + 1], opValue) ? n : withCells(n, i, n[i], opValue);
    delta = 1;
    return resized(n, i, 0, true);
  }
  const bit = 1 << ((opHash >>> shift) & MASK);
  const i = slotIndex(n[0] as number, bit);
  if (((n[0] as number) & bit) === 0) {
    delta = 1;
    return resized(n, i, bit, true);
  }
  const k = n[i];
  if (k === undefined) {
    const child = n[i + 1] as Node;
    const next = setIn(child, shift + BITS);
    return next === child ? n : withCells(n, i, undefined, next);
  }
  if (sameKey(k, opKey)) return is(n[i + 1], opValue) ? n : withCells(n, i, k, opValue);
  // Two keys in one slot: both move one level down, into a sub-trie of their own.
  delta = 1;
  const sub = pair(shift + BITS, hashKey(k as string | number), k, n[i + 1]);
  return withCells(n, i, undefined, sub);
}

/** The smallest sub-trie at `shift` holding the entry (k, v) and the one being written. */
function pair(shift: number, hash: number, k: unknown, v: unknown): Node {
  if (shift > MAX_SHIFT) return [0, owner, k, v, opKey, opValue];
  const b1 = (hash >>> shift) & MASK;
  const b2 = (opHash >>> shift) & MASK;
  if (b1 === b2) return [1 << b1, owner, undefined, pair(shift + BITS, hash, k, v)];
  const bitmap = (1 << b1) | (1 << b2);
  return b1 < b2 ? [bitmap, owner, k, v, opKey, opValue] : [bitmap, owner, opKey, opValue, k, v];
}

function deleteIn(n: Node, shift: number): Node {
  if (shift > MAX_SHIFT) {
    const i = collisionIndex(n);
    if (i === n.length) return n;
    delta = -1;
    return resized(n, i, 0, false);
  }
  const bit = 1 << ((opHash >>> shift) & MASK);
  if (((n[0] as number) & bit) === 0) return n;
  const i = slotIndex(n[0] as number, bit);
  const k = n[i];
  if (k === undefined) {
    const child = n[i + 1] as Node;
    const next = deleteIn(child, shift + BITS);
    // Checked even when next === child: a batch may have shrunk the child in place.
    if (next.length === HEAD + 2 && next[HEAD] !== undefined) {
      return withCells(n, i, next[HEAD], next[HEAD + 1]);
    }
    return next === child ? n : withCells(n, i, undefined, next);
  }
  if (!sameKey(k, opKey)) return n;
  delta = -1;
  return resized(n, i, bit, false);
}

function eachEntry(n: Node, fn: (k: unknown, v: unknown) => void): void {
  for (let i = HEAD; i < n.length; i += 2) {
    const k = n[i];
    if (k === undefined) eachEntry(n[i + 1] as Node, fn);
    else fn(k, n[i + 1]);
  }
}

/** Yields keys (0), values (1) or [key, value] (2); an explicit stack, not nested generators. */
function* walk(root: Node, mode: 0 | 1 | 2): Generator<unknown, undefined, unknown> {
  const arrs = [root];
  const positions = [HEAD];
  while (arrs.length > 0) {
    const top = arrs.length - 1;
    const arr = arrs[top]!;
    const i = positions[top]!;
    positions[top] = i + 2;
    if (i >= arr.length) {
      arrs.pop();
      positions.pop();
    } else if (arr[i] === undefined) {
      arrs.push(arr[i + 1] as Node);
      positions.push(HEAD);
    } else yield mode === 0 ? arr[i] : mode === 1 ? arr[i + 1] : [arr[i], arr[i + 1]];
  }
  return undefined;
}

/** Numbers before strings; numbers numerically (NaN last), strings by UTF-16 code units. */
function compareKeys(a: string | number, b: string | number): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  if (a < b) return -1;
  if (a > b) return 1;
  return a === b || (a !== a && b !== b) ? 0 : a !== a ? 1 : -1;
}

/**
 * The write view of a map under construction, given out by {@link PersistentMap.withMutations}.
 * It edits in place the nodes it created itself, so building n entries does not copy a path per
 * insert. Valid only while the callback runs: a write after that throws.
 */
export interface MutablePersistentMap<K extends string | number, V> {
  /** The number of entries so far. */
  readonly size: number;
  /** The value stored for `key` so far, or undefined. */
  get(key: K): V | undefined;
  /** Whether `key` has an entry so far. */
  has(key: K): boolean;
  /** Maps `key` to `value`; returns this view, for chaining. */
  set(key: K, value: V): this;
  /** Removes `key`'s entry, if any; returns this view. */
  delete(key: K): this;
  /** Maps `key` to `fn(its value)`; returns this view. */
  update(key: K, fn: (value: V | undefined) => V): this;
}

/** A batch: its owner token is new, so the only nodes it edits in place are its own. */
class Batch<K extends string | number, V> implements MutablePersistentMap<K, V> {
  owner: Owner | null = {};
  constructor(
    public root: Node,
    public size: number,
  ) {}
  get(key: K): V | undefined {
    return find(this.root, key, undefined) as V | undefined;
  }
  has(key: K): boolean {
    return find(this.root, key, ABSENT) !== ABSENT;
  }
  set(key: K, value: V): this {
    if (this.owner === null) throw new Error('MutablePersistentMap used after its batch ended');
    this.root = write(this.root, this.owner, key, value, false);
    this.size += delta;
    return this;
  }
  delete(key: K): this {
    if (this.owner === null) throw new Error('MutablePersistentMap used after its batch ended');
    this.root = write(this.root, this.owner, key, undefined, true);
    this.size += delta;
    return this;
  }
  update(key: K, fn: (value: V | undefined) => V): this {
    return this.set(key, fn(this.get(key)));
  }
}

/**
 * An immutable map from string or number keys whose versions share structure: `set`, `delete`
 * and `update` return a new map in O(log32 n) time and space and leave this one as it was, or
 * return this very map when nothing changed (so `===` spots a no-op). Keys compare as a `Map`'s
 * do (SameValueZero). Iteration follows hash order, which is stable but meaningless: use
 * {@link PersistentMap.sortedEntries} for anything that must not depend on it, such as digests.
 */
export class PersistentMap<K extends string | number, V> implements ReadonlyMap<K, V> {
  private static readonly EMPTY = new PersistentMap<never, never>(EMPTY_NODE, 0);

  private constructor(
    private readonly root: Node,
    /** The number of entries. */
    readonly size: number,
  ) {}

  /** The empty map (one shared instance). */
  static empty<K extends string | number, V>(): PersistentMap<K, V> {
    return PersistentMap.EMPTY; // never, never: it holds no key and no value of any type
  }

  /** A map of the given entries; a later entry for a key replaces an earlier one. */
  static from<K extends string | number, V>(
    entries: Iterable<readonly [K, V]>,
  ): PersistentMap<K, V> {
    return PersistentMap.empty<K, V>().withMutations((m) => {
      for (const [k, v] of entries) m.set(k, v);
    });
  }

  /** @internal The 32-bit hash that files `key` in the trie; exposed for collision tests. */
  static hashOf(key: string | number): number {
    return hashKey(key);
  }

  /** The value stored for `key`, or undefined. */
  get(key: K): V | undefined {
    return find(this.root, key, undefined) as V | undefined;
  }

  /** Whether `key` has an entry (even one whose value is undefined). */
  has(key: K): boolean {
    return find(this.root, key, ABSENT) !== ABSENT;
  }

  /** This map with `key` mapped to `value`; this map itself if it already was (`Object.is`). */
  set(key: K, value: V): PersistentMap<K, V> {
    const root = write(this.root, null, key, value, false);
    return root === this.root ? this : new PersistentMap(root, this.size + delta);
  }

  /** This map without `key`; this map itself if it had no such key. */
  delete(key: K): PersistentMap<K, V> {
    const root = write(this.root, null, key, undefined, true);
    if (root === this.root) return this;
    return this.size === 1 ? PersistentMap.empty() : new PersistentMap(root, this.size - 1);
  }

  /** This map with `key` mapped to `fn(its value)`; this map itself if that changes nothing. */
  update(key: K, fn: (value: V | undefined) => V): PersistentMap<K, V> {
    return this.set(key, fn(this.get(key)));
  }

  /**
   * Runs a batch of writes through a mutable view and returns the resulting map (this map if
   * the batch touched no node). The view edits in place only nodes the batch itself created,
   * so this map, and every map returned before, stays as it was.
   */
  withMutations(fn: (map: MutablePersistentMap<K, V>) => void): PersistentMap<K, V> {
    const batch = new Batch<K, V>(this.root, this.size);
    try {
      fn(batch);
    } finally {
      batch.owner = null; // the nodes it built are frozen from now on
    }
    if (batch.root === this.root) return this;
    return batch.size === 0 ? PersistentMap.empty() : new PersistentMap(batch.root, batch.size);
  }

  /** The entries ordered by key: numbers numerically, then strings as `<` orders them. */
  sortedEntries(): [K, V][] {
    const out: [K, V][] = [];
    eachEntry(this.root, (k, v) => out.push([k as K, v as V]));
    return out.sort((a, b) => compareKeys(a[0], b[0]));
  }

  /** Calls `fn` on each entry, in hash order. */
  forEach(fn: (value: V, key: K, map: PersistentMap<K, V>) => void): void {
    eachEntry(this.root, (k, v) => fn(v as V, k as K, this));
  }

  /** The keys, in hash order. */
  keys(): MapIterator<K> {
    return walk(this.root, 0) as MapIterator<K>;
  }

  /** The values, in hash order. */
  values(): MapIterator<V> {
    return walk(this.root, 1) as MapIterator<V>;
  }

  /** The [key, value] entries, in hash order. */
  entries(): MapIterator<[K, V]> {
    return walk(this.root, 2) as MapIterator<[K, V]>;
  }

  /** The [key, value] entries, in hash order. */
  [Symbol.iterator](): MapIterator<[K, V]> {
    return walk(this.root, 2) as MapIterator<[K, V]>;
  }
}
