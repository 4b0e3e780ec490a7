/*
 * A B+tree (fanout 32) with path copying. Leaves hold sorted keys and their values; a branch
 * holds, for each child, the child itself, its least key and the number of entries under it.
 * Filing each child under its least key makes floor a single descent (take the last child whose
 * least key is ≤ the key: the floor is in it, or nowhere), and ceiling one too (the successor of
 * a whole subtree is the least key of the next one, seen on the way down). Subtree sizes make
 * rank and select O(log n). An update copies only the nodes on its path, so a snapshot costs
 * O(log32 n) per change; an editor (or a batch) edits in place the nodes it made itself since its
 * last snapshot, as Clojure's transients do, so most of its writes copy nothing. Every node but the root holds MIN to MAX entries: an insert splits a
 * full node in halves, a delete that leaves fewer than MIN merges the node with a neighbour, or
 * shares their entries evenly when they do not fit in one. MIN is a quarter of MAX, not half, so
 * that writes going back and forth at one place do not split and merge a node on every step.
 */

type Owner = object;

/**
 * A leaf (`sizes` null: `vals` are values) or a branch (`vals` are its children, `keys` their
 * least keys, `sizes` their entry counts). `owner` is the batch that may still edit it in place
 * (null: nobody); a node a batch owns shares no array with any other node. One class for both,
 * so every property access sees a single shape.
 */
class Node {
  constructor(
    public keys: number[],
    public vals: unknown[],
    public sizes: number[] | null,
    public owner: Owner | null,
  ) {
    nodesMade++;
  }
}

/** Nodes made so far, by every map: an editor counts what its writes made by the difference. */
let nodesMade = 0;

const MAX = 32;
const MIN = 8;
const EMPTY_LEAF = new Node([], [], null, null);

// Bound once: a global lookup per call is slow where globals are proxied (jest's vm contexts).
const is = Object.is;

/** How many of the sorted `keys` are ≤ `key` (0 for NaN). */
function countAtMost(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many of the sorted `keys` are < `key` (0 for NaN). */
function countBelow(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The number of entries under `n`. */
function sizeOf(n: Node): number {
  const sizes = n.sizes;
  if (sizes === null) return n.keys.length;
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  return total;
}

function find(root: Node, key: number, notFound: unknown): unknown {
  let n = root;
  for (;;) {
    const keys = n.keys;
    const i = countAtMost(keys, key) - 1;
    if (i < 0) return notFound;
    if (n.sizes === null) return keys[i] === key ? n.vals[i] : notFound;
    n = n.vals[i] as Node;
  }
}

/** The greatest key ≤ `key` (< if `strict`): under the last child whose least key is too. */
function floorKey(root: Node, key: number, strict: boolean): number | undefined {
  let n = root;
  for (;;) {
    const keys = n.keys;
    const i = (strict ? countBelow(keys, key) : countAtMost(keys, key)) - 1;
    if (i < 0) return undefined;
    if (n.sizes === null) return keys[i];
    n = n.vals[i] as Node;
  }
}

/** The least key ≥ `key` (> if `strict`): in the floor's leaf, or least in the next subtree. */
function ceilingKey(root: Node, key: number, strict: boolean): number | undefined {
  if (key !== key) return undefined;
  let n = root;
  let next: number | undefined;
  while (n.sizes !== null) {
    const keys = n.keys;
    const i = countAtMost(keys, key) - 1;
    if (i < 0) return keys[0]; // only at the root: every key is above
    if (i + 1 < keys.length) next = keys[i + 1];
    n = n.vals[i] as Node;
  }
  const keys = n.keys;
  const j = strict ? countAtMost(keys, key) : countBelow(keys, key);
  return j < keys.length ? keys[j] : next;
}

/** How many keys are < `key` (≤ `key` if `inclusive`). */
function rankOf(root: Node, key: number, inclusive: boolean): number {
  let n = root;
  let rank = 0;
  for (;;) {
    const keys = n.keys;
    const sizes = n.sizes;
    const c = inclusive ? countAtMost(keys, key) : countBelow(keys, key);
    if (sizes === null) return rank + c;
    if (c === 0) return rank;
    for (let j = 0; j < c - 1; j++) rank += sizes[j]!;
    n = n.vals[c - 1] as Node;
  }
}

/** The key at sorted position `index`, or undefined if there is none. */
function keyAt(root: Node, size: number, index: number): number | undefined {
  if (!(index >= 0 && index < size) || index % 1 !== 0) return undefined;
  let n = root;
  let sizes = n.sizes;
  while (sizes !== null) {
    let i = 0;
    while (index >= sizes[i]!) index -= sizes[i++]!;
    n = n.vals[i] as Node;
    sizes = n.sizes;
  }
  return n.keys[index];
}

// The write in progress. Writes run no user code, so module state is safe, and it spares the
// recursion its arguments and the caller an allocated result. `delta` is the size change;
// `split` the right half of a node that overflowed, for its parent to adopt.
let owner: Owner | null = null;
let opKey = 0;
let opValue: unknown;
let delta = 0;
let split: Node | null = null;

function write(root: Node, by: Owner | null, key: number, value: unknown, del: boolean): Node {
  if (!del && key - key !== 0) {
    throw new RangeError(`PersistentSortedMap keys are finite numbers, not ${key}`);
  }
  owner = by;
  opKey = key + 0; // -0 is stored as +0
  opValue = value;
  delta = 0;
  let next = del ? deleteIn(root) : setIn(root);
  opValue = undefined; // hold no reference to the caller's data
  if (split !== null) {
    // The root split: the tree grows a level.
    const right = split;
    split = null;
    const keys = [next.keys[0]!, right.keys[0]!];
    next = new Node(keys, [next, right], [sizeOf(next), sizeOf(right)], owner);
  } else if (next.sizes !== null && next.keys.length === 1) {
    next = next.vals[0] as Node; // a root with one child: the tree loses a level
  }
  return next;
}

/** `n` itself if the current batch may edit it in place, else a copy the batch owns. */
function editable(n: Node): Node {
  if (owner !== null && n.owner === owner) return n;
  const sizes = n.sizes === null ? null : n.sizes.slice();
  return new Node(n.keys.slice(), n.vals.slice(), sizes, owner);
}

/**
 * ES2023's `Array.prototype.toSpliced`, which node ≥ 20 has but the ES2022 lib does not declare.
 * It allocates the copy at its final length and keeps the elements' kind (unboxed doubles for
 * keys): about twice as fast as a slice grown by push, a hot cost of every insert and delete.
 */
interface Splicing<T> {
  toSpliced(start: number, deleteCount: number, ...items: T[]): T[];
}

/** A copy of `a` with `x` inserted at `i`. */
function inserted<T>(a: readonly T[], i: number, x: T): T[] {
  return (a as unknown as Splicing<T>).toSpliced(i, 0, x);
}

/** A copy of `a` without its element `i`. */
function removed<T>(a: readonly T[], i: number): T[] {
  return (a as unknown as Splicing<T>).toSpliced(i, 1);
}

/** Splits the overfull `n`, which the caller may edit: keeps the left half, sets `split`. */
function halved(n: Node): Node {
  const h = (n.keys.length + 1) >>> 1;
  const sizes = n.sizes === null ? null : n.sizes.slice(h);
  split = new Node(n.keys.slice(h), n.vals.slice(h), sizes, owner);
  n.keys.length = h;
  n.vals.length = h;
  if (n.sizes !== null) n.sizes.length = h;
  return n;
}

/** Leaf `n` with its value `i` replaced by the one being written. */
function withValue(n: Node, i: number): Node {
  if (owner === null) {
    // A frozen copy: it may share its keys with `n`, as neither will ever change.
    const vals = n.vals.slice();
    vals[i] = opValue;
    return new Node(n.keys, vals, null, null);
  }
  const edited = editable(n);
  edited.vals[i] = opValue;
  return edited;
}

/** Branch `n` with child `i` replaced by `child`, under which `delta` entries came or went. */
function withChild(n: Node, i: number, child: Node): Node {
  const least = child.keys[0]!;
  if (owner === null) {
    // A frozen copy: it shares whichever arrays do not change.
    let keys = n.keys;
    if (keys[i] !== least) {
      keys = keys.slice();
      keys[i] = least;
    }
    let sizes = n.sizes!;
    if (delta !== 0) {
      sizes = sizes.slice();
      sizes[i] = sizes[i]! + delta;
    }
    const vals = n.vals.slice();
    vals[i] = child;
    return new Node(keys, vals, sizes, null);
  }
  const edited = editable(n);
  edited.keys[i] = least;
  edited.vals[i] = child;
  edited.sizes![i] = edited.sizes![i]! + delta;
  return edited;
}

function setIn(n: Node): Node {
  const keys = n.keys;
  const i = countAtMost(keys, opKey) - 1;
  if (n.sizes === null) {
    if (i >= 0 && keys[i] === opKey) return is(n.vals[i], opValue) ? n : withValue(n, i);
    delta = 1;
    let leaf: Node;
    if (owner !== null && n.owner === owner) {
      keys.splice(i + 1, 0, opKey);
      n.vals.splice(i + 1, 0, opValue);
      leaf = n;
    } else {
      leaf = new Node(inserted(keys, i + 1, opKey), inserted(n.vals, i + 1, opValue), null, owner);
    }
    return leaf.keys.length > MAX ? halved(leaf) : leaf;
  }
  const c = i < 0 ? 0 : i; // a new least key goes to the first child
  const child = n.vals[c] as Node;
  const next = setIn(child);
  if (split === null) return next === child && delta === 0 ? n : withChild(n, c, next);
  // The child split: adopt its right half just after it.
  const right = split;
  split = null;
  const edited = editable(n);
  const rightSize = sizeOf(right);
  edited.keys[c] = next.keys[0]!;
  edited.vals[c] = next;
  edited.sizes![c] = edited.sizes![c]! + 1 - rightSize;
  edited.keys.splice(c + 1, 0, right.keys[0]!);
  edited.vals.splice(c + 1, 0, right);
  edited.sizes!.splice(c + 1, 0, rightSize);
  return edited.keys.length > MAX ? halved(edited) : edited;
}

function deleteIn(n: Node): Node {
  const keys = n.keys;
  const i = countAtMost(keys, opKey) - 1;
  if (i < 0) return n;
  if (n.sizes === null) {
    if (keys[i] !== opKey) return n;
    delta = -1;
    if (owner !== null && n.owner === owner) {
      keys.splice(i, 1);
      n.vals.splice(i, 1);
      return n;
    }
    return new Node(removed(keys, i), removed(n.vals, i), null, owner);
  }
  const child = n.vals[i] as Node;
  const next = deleteIn(child);
  if (delta === 0) return n;
  return next.keys.length < MIN ? rebalanced(n, i, next) : withChild(n, i, next);
}

/**
 * Branch `n` with child `i` replaced by the underfull `next`, which merges with a neighbour, or
 * shares their entries evenly with it if the two would overfill one node.
 */
function rebalanced(n: Node, i: number, next: Node): Node {
  const a = i > 0 ? i - 1 : 0; // the left one of the pair
  const left = a === i ? next : (n.vals[a] as Node);
  const right = a === i ? (n.vals[a + 1] as Node) : next;
  const keys = left.keys.concat(right.keys);
  const vals = left.vals.concat(right.vals);
  const sizes = left.sizes === null ? null : left.sizes.concat(right.sizes!);
  const edited = editable(n);
  const parentSizes = edited.sizes!;
  const total = parentSizes[a]! + parentSizes[a + 1]! + delta;
  edited.keys[a] = keys[0]!;
  if (keys.length <= MAX) {
    edited.vals[a] = new Node(keys, vals, sizes, owner);
    parentSizes[a] = total;
    edited.keys.splice(a + 1, 1);
    edited.vals.splice(a + 1, 1);
    parentSizes.splice(a + 1, 1);
    return edited;
  }
  const h = keys.length >>> 1;
  const r = new Node(keys.slice(h), vals.slice(h), sizes === null ? null : sizes.slice(h), owner);
  keys.length = h;
  vals.length = h;
  if (sizes !== null) sizes.length = h;
  const l = new Node(keys, vals, sizes, owner);
  const leftSize = sizeOf(l);
  edited.vals[a] = l;
  parentSizes[a] = leftSize;
  edited.keys[a + 1] = r.keys[0]!;
  edited.vals[a + 1] = r;
  parentSizes[a + 1] = total - leftSize;
  return edited;
}

/** A tree of the sorted, distinct `keys` and their `vals`, its nodes filled evenly. */
function build(keys: number[], vals: unknown[]): Node {
  let count = keys.length;
  if (count === 0) return EMPTY_LEAF;
  let level: Node[] = [];
  let levelSizes: number[] = [];
  let groups = Math.ceil(count / MAX);
  for (let g = 0; g < groups; g++) {
    // Chunk bounds by proportion: each chunk holds ⌊count/groups⌋ or one more, ≥ MAX/2.
    const lo = Math.floor((g * count) / groups);
    const hi = Math.floor(((g + 1) * count) / groups);
    level.push(new Node(keys.slice(lo, hi), vals.slice(lo, hi), null, null));
    levelSizes.push(hi - lo);
  }
  while (level.length > 1) {
    count = level.length;
    groups = Math.ceil(count / MAX);
    const up: Node[] = [];
    const upSizes: number[] = [];
    for (let g = 0; g < groups; g++) {
      const lo = Math.floor((g * count) / groups);
      const hi = Math.floor(((g + 1) * count) / groups);
      const children = level.slice(lo, hi);
      const sizes = levelSizes.slice(lo, hi);
      let total = 0;
      for (const s of sizes) total += s;
      up.push(
        new Node(
          children.map((c) => c.keys[0]!),
          children,
          sizes,
          null,
        ),
      );
      upSizes.push(total);
    }
    level = up;
    levelSizes = upSizes;
  }
  return level[0]!;
}

/** Yields keys (0), values (1) or [key, value] (2) ascending from the least key ≥ `from`. */
function* ascend(root: Node, from: number, mode: 0 | 1 | 2): Generator<unknown, undefined> {
  if (from !== from) return undefined;
  // The path to the current leaf, and in each branch the index of the next child to visit.
  const path: Node[] = [];
  const nextChild: number[] = [];
  let n = root;
  while (n.sizes !== null) {
    const i = countAtMost(n.keys, from) - 1;
    const c = i < 0 ? 0 : i;
    path.push(n);
    nextChild.push(c + 1);
    n = n.vals[c] as Node;
  }
  let j = countBelow(n.keys, from);
  for (;;) {
    const keys = n.keys;
    const vals = n.vals;
    for (; j < keys.length; j++)
      yield mode === 0 ? keys[j] : mode === 1 ? vals[j] : [keys[j], vals[j]];
    let d = path.length - 1;
    while (d >= 0 && nextChild[d]! >= path[d]!.keys.length) d--;
    if (d < 0) return undefined;
    path.length = d + 1;
    nextChild.length = d + 1;
    n = path[d]!.vals[nextChild[d]!] as Node;
    nextChild[d]! += 1;
    while (n.sizes !== null) {
      path.push(n);
      nextChild.push(1);
      n = n.vals[0] as Node;
    }
    j = 0;
  }
}

/** Yields [key, value] descending from the greatest key ≤ `from`. */
function* descend(root: Node, from: number): Generator<[number, unknown], undefined> {
  // The path to the current leaf, and in each branch the index of the next child to visit.
  const path: Node[] = [];
  const nextChild: number[] = [];
  let n = root;
  while (n.sizes !== null) {
    const i = countAtMost(n.keys, from) - 1;
    if (i < 0) return undefined; // only at the root: every key is above
    path.push(n);
    nextChild.push(i - 1);
    n = n.vals[i] as Node;
  }
  let j = countAtMost(n.keys, from) - 1;
  for (;;) {
    const keys = n.keys;
    const vals = n.vals;
    for (; j >= 0; j--) yield [keys[j]!, vals[j]];
    let d = path.length - 1;
    while (d >= 0 && nextChild[d]! < 0) d--;
    if (d < 0) return undefined;
    path.length = d + 1;
    nextChild.length = d + 1;
    n = path[d]!.vals[nextChild[d]!] as Node;
    nextChild[d]! -= 1;
    while (n.sizes !== null) {
      const last = n.keys.length - 1;
      path.push(n);
      nextChild.push(last - 1);
      n = n.vals[last] as Node;
    }
    j = n.keys.length - 1;
  }
}

/**
 * Checks the subtree `n`, whose keys must lie in [lo, hi), against every rule of the tree's
 * shape; returns its height and entry count, or throws naming the rule broken.
 */
function audit(n: Node, isRoot: boolean, lo: number, hi: number): [number, number] {
  const keys = n.keys;
  const fail = (rule: string) => {
    throw new Error(`PersistentSortedMap node [${keys.join(', ')}]: ${rule}`);
  };
  if (n.vals.length !== keys.length) fail('as many keys as values or children');
  if (keys.length > MAX) fail(`at most ${MAX} entries`);
  if (!isRoot && keys.length < MIN) fail(`at least ${MIN} entries`);
  if (!isRoot && keys[0] !== lo) fail(`filed under its least key, ${lo}`);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!(k >= lo && k < hi) || (i > 0 && !(k > keys[i - 1]!))) fail('keys ascending, in range');
  }
  const sizes = n.sizes;
  if (sizes === null) return [1, keys.length];
  if (sizes.length !== keys.length) fail('as many sizes as children');
  if (isRoot && keys.length < 2) fail('a root branch has two children or more');
  let height = 0;
  let count = 0;
  for (let i = 0; i < keys.length; i++) {
    const bound = i + 1 < keys.length ? keys[i + 1]! : hi;
    const [h, c] = audit(n.vals[i] as Node, false, keys[i]!, bound);
    if (i > 0 && h !== height) fail('every leaf at one depth');
    if (c !== sizes[i]) fail(`size ${sizes[i]} for a child of ${c} entries`);
    height = h;
    count += c;
  }
  return [height + 1, count];
}

/** Visits the entries from the least key ≥ `from` upwards, until `visit` returns true; whether it did. */
function someFrom(n: Node, from: number, visit: (k: number, v: unknown) => boolean): boolean {
  const keys = n.keys;
  const vals = n.vals;
  if (n.sizes === null) {
    for (let i = countBelow(keys, from); i < keys.length; i++)
      if (visit(keys[i]!, vals[i])) return true;
    return false;
  }
  const first = Math.max(0, countAtMost(keys, from) - 1);
  for (let i = first; i < keys.length; i++)
    if (someFrom(vals[i] as Node, i === first ? from : -Infinity, visit)) return true;
  return false;
}

/** Visits the entries from the greatest key ≤ `from` downwards, until `visit` returns true; whether it did. */
function someBackFrom(n: Node, from: number, visit: (k: number, v: unknown) => boolean): boolean {
  const keys = n.keys;
  const vals = n.vals;
  if (n.sizes === null) {
    for (let i = countAtMost(keys, from) - 1; i >= 0; i--)
      if (visit(keys[i]!, vals[i])) return true;
    return false;
  }
  const last = countAtMost(keys, from) - 1;
  for (let i = last; i >= 0; i--)
    if (someBackFrom(vals[i] as Node, i === last ? from : Infinity, visit)) return true;
  return false;
}

function eachEntry(n: Node, fn: (k: number, v: unknown) => void): void {
  const keys = n.keys;
  const vals = n.vals;
  if (n.sizes === null) for (let i = 0; i < keys.length; i++) fn(keys[i]!, vals[i]);
  else for (let i = 0; i < vals.length; i++) eachEntry(vals[i] as Node, fn);
}

/**
 * The write view of a map under construction, given out by
 * {@link PersistentSortedMap.withMutations}. It edits in place the nodes it created itself, so
 * n writes do not copy a path each. Valid only while the callback runs: a write after that
 * throws. Reads see the writes made so far.
 */
export interface MutablePersistentSortedMap<V> {
  readonly size: number;
  get(key: number): V | undefined;
  has(key: number): boolean;
  floor(key: number): number | undefined;
  ceiling(key: number): number | undefined;
  lower(key: number): number | undefined;
  higher(key: number): number | undefined;
  set(key: number, value: V): this;
  delete(key: number): this;
  update(key: number, fn: (value: V | undefined) => V): this;
}

/** The reads over a tree that a persistent map and an editor of one share. */
abstract class SortedMapReads<V> {
  /** @internal */
  abstract readonly root: Node;

  /** The value stored for `key`, or undefined. */
  get(key: number): V | undefined {
    return find(this.root, key, undefined) as V | undefined;
  }

  /** Whether `key` has an entry (even one whose value is undefined). */
  has(key: number): boolean {
    return find(this.root, key, EMPTY_LEAF) !== EMPTY_LEAF;
  }

  /** The greatest key ≤ `key`, or undefined if there is none. */
  floor(key: number): number | undefined {
    return floorKey(this.root, key, false);
  }

  /** The least key ≥ `key`, or undefined if there is none. */
  ceiling(key: number): number | undefined {
    return ceilingKey(this.root, key, false);
  }

  /** The greatest key < `key`, or undefined if there is none. */
  lower(key: number): number | undefined {
    return floorKey(this.root, key, true);
  }

  /** The least key > `key`, or undefined if there is none. */
  higher(key: number): number | undefined {
    return ceilingKey(this.root, key, true);
  }

  /** The keys in ascending order, from the least key ≥ `from`. */
  keysFrom(from: number): IterableIterator<number> {
    return ascend(this.root, from, 0) as IterableIterator<number>;
  }

  /** The [key, value] entries in ascending key order, from the least key ≥ `from`. */
  entriesFrom(from: number): IterableIterator<[number, V]> {
    return ascend(this.root, from, 2) as IterableIterator<[number, V]>;
  }

  /** The [key, value] entries in descending key order, from the greatest key ≤ `from`. */
  entriesBackFrom(from: number): IterableIterator<[number, V]> {
    return descend(this.root, from) as IterableIterator<[number, V]>;
  }

  /** The keys, ascending. */
  keys(): MapIterator<number> {
    return ascend(this.root, -Infinity, 0) as MapIterator<number>;
  }

  /** The values, in ascending key order. */
  values(): MapIterator<V> {
    return ascend(this.root, -Infinity, 1) as MapIterator<V>;
  }

  /** The [key, value] entries, in ascending key order. */
  entries(): MapIterator<[number, V]> {
    return ascend(this.root, -Infinity, 2) as MapIterator<[number, V]>;
  }

  /** The [key, value] entries, in ascending key order. */
  [Symbol.iterator](): MapIterator<[number, V]> {
    return ascend(this.root, -Infinity, 2) as MapIterator<[number, V]>;
  }

  /**
   * Visits the entries in ascending key order from the least key ≥ `from` until `visit` returns
   * true; whether it did. Unlike `entriesFrom`, it makes no iterator and no pair an entry: a scan
   * of the free chunks on every allocation made most of a heap's garbage.
   */
  someFrom(from: number, visit: (key: number, value: V) => boolean): boolean {
    return from === from && someFrom(this.root, from, visit as (k: number, v: unknown) => boolean);
  }

  /** The same, descending from the greatest key ≤ `from`. */
  someBackFrom(from: number, visit: (key: number, value: V) => boolean): boolean {
    return (
      from === from && someBackFrom(this.root, from, visit as (k: number, v: unknown) => boolean)
    );
  }
}

/**
 * An immutable map from finite numbers (addresses, say) to values, kept in key order, whose
 * versions share structure: `set`, `delete` and `update` return a new map in O(log n) time and
 * O(log n) new memory and leave this one as it was, or return this very map when nothing changed
 * (so `===` spots a no-op). Lookups, ordered queries (floor, ceiling, lower, higher), ranks and
 * positions all take O(log n); iteration is in ascending key order (or descending, from a key,
 * with {@link PersistentSortedMap.entriesBackFrom}). -0 is the key 0; queries may pass any
 * number, and a NaN query finds nothing.
 */
export class PersistentSortedMap<V> extends SortedMapReads<V> implements ReadonlyMap<number, V> {
  private static readonly EMPTY = new PersistentSortedMap<never>(EMPTY_LEAF, 0);

  /** @internal Maps are made by the methods below, and by {@link SortedMapEditor.snapshot}. */
  constructor(
    /** @internal */
    readonly root: Node,
    /** The number of entries. */
    readonly size: number,
  ) {
    super();
  }

  /** The empty map (one shared instance). */
  static empty<V>(): PersistentSortedMap<V> {
    return PersistentSortedMap.EMPTY; // never: it holds no value of any type
  }

  /**
   * A map of the given entries; a later entry for a key replaces an earlier one. Sorts once and
   * builds the tree bottom up, in O(n) if the keys come ascending and O(n log n) otherwise.
   */
  static from<V>(entries: Iterable<readonly [number, V]>): PersistentSortedMap<V> {
    const keys: number[] = [];
    const vals: V[] = [];
    let ascending = true;
    for (const [k, v] of entries) {
      if (k - k !== 0)
        throw new RangeError(`PersistentSortedMap keys are finite numbers, not ${k}`);
      if (keys.length > 0 && !(k > keys[keys.length - 1]!)) ascending = false;
      keys.push(k + 0);
      vals.push(v);
    }
    if (!ascending) {
      // A stable sort of positions: among equal keys the last one given wins.
      const order = keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
      const sortedKeys: number[] = [];
      const sortedVals: V[] = [];
      for (const i of order) {
        const last = sortedKeys.length - 1;
        if (last >= 0 && sortedKeys[last] === keys[i]) sortedVals[last] = vals[i]!;
        else {
          sortedKeys.push(keys[i]!);
          sortedVals.push(vals[i]!);
        }
      }
      return PersistentSortedMap.built(sortedKeys, sortedVals);
    }
    return PersistentSortedMap.built(keys, vals);
  }

  private static built<V>(keys: number[], vals: V[]): PersistentSortedMap<V> {
    if (keys.length === 0) return PersistentSortedMap.empty();
    return new PersistentSortedMap(build(keys, vals), keys.length);
  }

  /**
   * @internal The tree's height (1: a single leaf), after checking every rule of its shape: node
   * fill, key order, separators and subtree sizes. Throws if one is broken; exposed for tests.
   */
  static auditedHeight(map: PersistentSortedMap<unknown>): number {
    const [height, count] = audit(map.root, true, -Infinity, Infinity);
    if (count !== map.size) throw new Error(`PersistentSortedMap size ${map.size}, holds ${count}`);
    return height;
  }

  /** How many keys are < `key`: the index `key` has, or would have, in ascending order. */
  rank(key: number): number {
    return rankOf(this.root, key, false);
  }

  /** The key at position `index` in ascending order, or undefined if there is none. */
  at(index: number): number | undefined {
    return keyAt(this.root, this.size, index);
  }

  /**
   * The key `steps` places below `floor(key)` (`steps` 0: the floor itself), or undefined if
   * there is no floor or not that many keys below it. Negative steps count upwards.
   */
  below(key: number, steps: number): number | undefined {
    const floorIndex = rankOf(this.root, key, true) - 1;
    return floorIndex < 0 ? undefined : keyAt(this.root, this.size, floorIndex - steps);
  }

  /** This map with `key` mapped to `value`; this map itself if it already was (`Object.is`). */
  set(key: number, value: V): PersistentSortedMap<V> {
    const root = write(this.root, null, key, value, false);
    return root === this.root ? this : new PersistentSortedMap(root, this.size + delta);
  }

  /** This map without `key`; this map itself if it had no such key. */
  delete(key: number): PersistentSortedMap<V> {
    const root = write(this.root, null, key, undefined, true);
    if (root === this.root) return this;
    return this.size === 1
      ? PersistentSortedMap.empty()
      : new PersistentSortedMap(root, this.size - 1);
  }

  /** This map with `key` mapped to `fn(its value)`; this map itself if that changes nothing. */
  update(key: number, fn: (value: V | undefined) => V): PersistentSortedMap<V> {
    return this.set(key, fn(this.get(key)));
  }

  /**
   * Runs a batch of writes through a mutable view and returns the resulting map (this map if
   * the batch touched no node). The view edits in place only nodes the batch itself created,
   * so this map, and every map returned before, stays as it was.
   */
  withMutations(fn: (map: MutablePersistentSortedMap<V>) => void): PersistentSortedMap<V> {
    const batch = new Batch<V>(this);
    try {
      fn(batch);
    } finally {
      batch.ended = true;
    }
    return batch.snapshot(); // the nodes it built are frozen from now on
  }

  /** Calls `fn` on each entry, in ascending key order. */
  forEach(fn: (value: V, key: number, map: PersistentSortedMap<V>) => void): void {
    eachEntry(this.root, (k, v) => fn(v as V, k, this));
  }
}

/**
 * A sorted map edited in place between snapshots, as a Clojure transient is: `snapshot()` gives
 * the map as it stands in O(1), and from then on each node it shares is copied the first time a
 * write reaches it, once, rather than a path copied by every write. For state written often and
 * snapshotted now and then (a projection's, between the kernel's rollback points), most writes
 * then make nothing at all. Reads are those of {@link PersistentSortedMap}; iterate only while
 * nothing writes.
 */
export class SortedMapEditor<V> extends SortedMapReads<V> implements MutablePersistentSortedMap<V> {
  /** Whose nodes this editor may change: a new token at each snapshot, so none it gave is. */
  private owner: Owner = {};
  /** @internal */
  root: Node;
  private count: number;
  /** The last snapshot, while no write has come since: taken again, it is the same map. */
  private taken: PersistentSortedMap<V> | undefined;
  /** Nodes its writes made (copied or new) so far, a running count, for memory estimates. */
  nodesMade = 0;

  constructor(from: PersistentSortedMap<V> = PersistentSortedMap.empty()) {
    super();
    this.root = from.root;
    this.count = from.size;
    this.taken = from;
  }

  /** The number of entries. */
  get size(): number {
    return this.count;
  }

  /** The map as it stands, never changed by later writes: O(1). */
  snapshot(): PersistentSortedMap<V> {
    if (this.taken) return this.taken;
    this.owner = {};
    return (this.taken =
      this.count === 0
        ? PersistentSortedMap.empty()
        : new PersistentSortedMap<V>(this.root, this.count));
  }

  /** Goes back to `map`, which stays as it is. */
  reset(map: PersistentSortedMap<V>): void {
    this.owner = {};
    this.root = map.root;
    this.count = map.size;
    this.taken = map;
  }

  set(key: number, value: V): this {
    this.edit(key, value, false);
    return this;
  }

  delete(key: number): this {
    this.edit(key, undefined, true);
    return this;
  }

  update(key: number, fn: (value: V | undefined) => V): this {
    return this.set(key, fn(this.get(key)));
  }

  protected edit(key: number, value: V | undefined, del: boolean): void {
    const before = nodesMade;
    const root = write(this.root, this.owner, key, value, del);
    this.count += delta;
    this.nodesMade += nodesMade - before;
    // The first write since a snapshot that changes anything copies the root, which the
    // snapshot shares: a root unchanged means nothing changed since, or the snapshot is gone.
    if (root !== this.root) {
      this.root = root;
      this.taken = undefined;
    }
  }

  forEach(fn: (value: V, key: number) => void): void {
    eachEntry(this.root, (k, v) => fn(v as V, k));
  }
}

/** The map `withMutations` hands its callback: an editor that refuses writes once it returned. */
class Batch<V> extends SortedMapEditor<V> {
  ended = false;

  protected override edit(key: number, value: V | undefined, del: boolean): void {
    if (this.ended) throw new Error('MutablePersistentSortedMap used after its batch ended');
    super.edit(key, value, del);
  }
}
