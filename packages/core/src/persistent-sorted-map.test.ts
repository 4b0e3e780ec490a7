import fc from 'fast-check';
import { type MutablePersistentSortedMap, PersistentSortedMap } from './persistent-sorted-map';

/*
 * Model-based tests: random sequences of writes run against a PersistentSortedMap and against a
 * plain sorted array of [key, value] pairs, whose queries are linear scans too simple to be
 * wrong. Sequences come in phases that grow, churn or shrink the map, long enough for nodes to
 * split, merge, share entries with a neighbour, and for the tree to gain and lose levels. The
 * newest map is checked every few steps (its shape audited too), and at the end every earlier
 * map must still match the model as it was then: nothing a write does may leak into a version
 * handed out before.
 */

type Entry = [number, number];
type Write =
  | { kind: 'set'; key: number; value: number }
  | { kind: 'delete'; key: number }
  /** Deletes the model's key at `index` modulo its size: hits even in a sparse key space. */
  | { kind: 'deleteNth'; index: number };
type Op =
  | Write
  | { kind: 'batch'; writes: Write[] }
  /** Deletes the `count` keys from the model's key at `index` modulo its size, one by one. */
  | { kind: 'deleteRun'; index: number; count: number }
  /** Deletes every key left, one write at a time, in an order that `index` scatters. */
  | { kind: 'drain'; index: number };
type NumberMap = PersistentSortedMap<number>;

const normal = (key: number) => (key === 0 ? 0 : key); // -0 is the key 0

/** The model's index of the first key ≥ `key` (a linear scan). */
function countBelow(model: readonly Entry[], key: number): number {
  let i = 0;
  while (i < model.length && model[i]![0] < key) i++;
  return i;
}

/** `w` with a deleteNth turned into the delete of the key it names now. */
function resolve(model: readonly Entry[], w: Write): Write {
  if (w.kind !== 'deleteNth') return w;
  return { kind: 'delete', key: model.length === 0 ? 0 : model[w.index % model.length]![0] };
}

/** Applies `w` to the model; returns whether that changed it. */
function applyToModel(model: Entry[], w: Write): boolean {
  if (w.kind === 'deleteNth') throw new Error('resolve it first');
  const key = normal(w.key);
  const i = countBelow(model, key);
  const found = i < model.length && model[i]![0] === key;
  if (w.kind === 'delete') {
    if (found) model.splice(i, 1);
    return found;
  }
  if (!found) model.splice(i, 0, [key, w.value]);
  else if (model[i]![1] === w.value) return false;
  else model[i]![1] = w.value;
  return true;
}

function applyToMap(map: NumberMap, w: Write): NumberMap {
  if (w.kind === 'set') return map.set(w.key, w.value);
  if (w.kind === 'delete') return map.delete(w.key);
  throw new Error('resolve it first');
}

function applyToBatch(m: MutablePersistentSortedMap<number>, w: Write): void {
  if (w.kind === 'set') m.set(w.key, w.value);
  else if (w.kind === 'delete') m.delete(w.key);
  else throw new Error('resolve it first');
}

/** Keys worth asking about: a few present ones and their neighbours, the extremes, NaN. */
function probesFor(model: readonly Entry[], extra: readonly number[]): number[] {
  const probes = [...extra, -1, 0, -0, 2 ** 53, -Infinity, Infinity, NaN];
  for (let j = 0; j < 4 && model.length > 0; j++) {
    const k = model[Math.floor((j * (model.length - 1)) / 3)]![0];
    probes.push(k, k + 0.5, k - 0.5);
  }
  return probes;
}

// Bound once: a global lookup per call is slow where globals are proxied (jest's vm contexts).
const is = Object.is;
const isArray = Array.isArray;

/** Object.is, and for arrays, element by element. */
function same(a: unknown, b: unknown): boolean {
  return is(a, b) || (isArray(a) && isArray(b) && sameList(a, b));
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]));
}

/** The first `n` items of an iterator. */
function take<T>(it: Iterator<T>, n: number): T[] {
  const out: T[] = [];
  for (let r = it.next(); !r.done && out.length < n; r = it.next()) out.push(r.value);
  return out;
}

const show = (x: unknown) => JSON.stringify(x, (_, v: unknown) => (v === undefined ? null : v));

/** Why a batch's view differs from `model` at `probes`, or undefined if it does not. */
function viewMismatch(
  map: NumberMap | MutablePersistentSortedMap<number>,
  model: readonly Entry[],
  probes: readonly number[],
): string | undefined {
  if (map.size !== model.length) return `size ${map.size}, expected ${model.length}`;
  for (const q of probes) {
    const i = countBelow(model, q); // NaN: 0, and no key equals it
    const hit = i < model.length && model[i]![0] === q;
    const expected = {
      get: hit ? model[i]![1] : undefined,
      has: hit,
      floor: hit ? model[i]![0] : model[i - 1]?.[0],
      ceiling: q !== q ? undefined : model[i]?.[0],
      lower: model[i - 1]?.[0],
      higher: q !== q ? undefined : model[hit ? i + 1 : i]?.[0],
    };
    const actual = {
      get: map.get(q),
      has: map.has(q),
      floor: map.floor(q),
      ceiling: map.ceiling(q),
      lower: map.lower(q),
      higher: map.higher(q),
    };
    for (const name of Object.keys(expected) as (keyof typeof expected)[]) {
      if (!same(actual[name], expected[name])) {
        return `${name}(${q}) is ${show(actual[name])}, expected ${show(expected[name])}`;
      }
    }
  }
  return undefined;
}

/** Why `map` differs from `model`, or undefined if it does not. Faster than expect. */
function mismatch(
  map: NumberMap,
  model: readonly Entry[],
  probes: readonly number[],
): string | undefined {
  const why = viewMismatch(map, model, probes);
  if (why !== undefined) return why;
  const entries = [...map];
  if (!sameList(entries, model)) return `entries ${show(entries)}, expected ${show(model)}`;
  for (const q of probes) {
    const i = countBelow(model, q);
    const hit = i < model.length && model[i]![0] === q;
    const floorIndex = hit ? i : i - 1;
    const from = q !== q ? [] : model.slice(i, i + 40);
    const back = q !== q ? [] : model.slice(Math.max(0, floorIndex - 39), floorIndex + 1).reverse();
    const checks: [string, unknown, unknown][] = [
      ['rank', map.rank(q), q !== q ? 0 : i],
      ['keysFrom', take(map.keysFrom(q), 40), from.map(([k]) => k)],
      ['entriesFrom', take(map.entriesFrom(q), 40), from],
      ['entriesBackFrom', take(map.entriesBackFrom(q), 40), back],
    ];
    for (const steps of [0, 1, 2, 17, 40]) {
      const expected = floorIndex < 0 ? undefined : model[floorIndex - steps]?.[0];
      checks.push([`below(_, ${steps})`, map.below(q, steps), expected]);
    }
    for (const [name, actual, expected] of checks) {
      if (!same(actual, expected)) {
        return `${name}(${q}) is ${show(actual)}, expected ${show(expected)}`;
      }
    }
  }
  for (const i of [-1, 0, 0.5, 1, model.length >>> 1, model.length - 1, model.length]) {
    if (!same(map.at(i), model[i]?.[0])) return `at(${i}) is ${map.at(i)}`;
  }
  if (model.length > 0 && !sameList(take(map.entriesBackFrom(Infinity), 1), [model.at(-1)])) {
    return 'entriesBackFrom(Infinity) does not start at the greatest key';
  }
  return undefined;
}

function check(
  map: NumberMap,
  model: readonly Entry[],
  probes: readonly number[],
  when: string,
): void {
  const why = mismatch(map, model, probes);
  if (why !== undefined) throw new Error(`${when}: ${why}`);
}

/** No-op writes seen, to show that the runs make them. */
let noOps = 0;

/**
 * A map handed out during a run, with what it must still hold at the end: its size, and the
 * entry (or absence) at the key the next write touched, the one a leaking write would change.
 * Every `every` versions also keep a full copy of the model.
 */
interface Version {
  map: NumberMap;
  size: number;
  key: number;
  value: number | undefined;
  model?: Entry[];
}

/**
 * Runs `ops` on both sides. Every `every` steps (after each batch, and at the end) it checks the
 * newest map and audits its shape; at the end it checks every earlier version against what the
 * model was then. Returns the greatest height the tree reached, and how often it lost a level.
 */
function runAgainstModel(ops: readonly Op[], extraProbes: readonly number[], every: number) {
  let map = PersistentSortedMap.empty<number>();
  const model: Entry[] = [];
  const history: Version[] = [];
  const stats = { maxHeight: 1, heightDrops: 0 };
  let height = 1;
  const audit = (when: string) => {
    const h = PersistentSortedMap.auditedHeight(map);
    if (h < height) stats.heightDrops++;
    stats.maxHeight = Math.max(stats.maxHeight, h);
    height = h;
    check(map, model, probesFor(model, extraProbes), when);
  };
  const queue = [...ops];
  for (let step = 0; step < queue.length; step++) {
    const op = queue[step]!;
    if (op.kind === 'drain') {
      const deletes = model.map((_, j): Write => ({
        kind: 'deleteNth',
        index: op.index + j * 7919,
      }));
      queue.splice(step + 1, 0, ...deletes);
      continue;
    }
    if (op.kind === 'deleteRun') {
      // A run of neighbours empties one side of the tree: nodes there merge and borrow.
      const start = model.length === 0 ? 0 : op.index % model.length;
      const run = model.slice(start, start + op.count);
      queue.splice(step + 1, 0, ...run.map(([key]): Write => ({ kind: 'delete', key })));
      continue;
    }
    const version: Version = { map, size: model.length, key: NaN, value: undefined };
    if (op.kind === 'batch' || history.length % every === 0) {
      version.model = model.map(([k, v]): Entry => [k, v]);
    }
    history.push(version);
    if (op.kind === 'batch') {
      map = map.withMutations((m) => {
        for (const write of op.writes) {
          const w = resolve(model, write);
          applyToBatch(m, w);
          applyToModel(model, w);
          const why = viewMismatch(m, model, extraProbes.slice(0, 3));
          if (why !== undefined) throw new Error(`step ${step}, inside the batch: ${why}`);
        }
      });
    } else {
      const w = resolve(model, op);
      if (w.kind !== 'deleteNth') {
        const i = countBelow(model, w.key);
        version.key = w.key;
        version.value = model[i]?.[0] === w.key ? model[i][1] : undefined;
      }
      const before = map;
      map = applyToMap(map, w);
      const changed = applyToModel(model, w);
      if (changed === (map === before)) throw new Error(`step ${step}: a change was ${changed}`);
      if (!changed) noOps++;
    }
    if (op.kind === 'batch' || step % every === 0) audit(`step ${step}`);
  }
  audit('at the end');
  if (model.length === 0 && map !== PersistentSortedMap.empty()) throw new Error('not empty()');
  history.forEach((v, i) => {
    const why =
      v.map.size !== v.size
        ? `size ${v.map.size}, expected ${v.size}`
        : !is(v.map.get(v.key), v.value)
          ? `get(${v.key}) is ${v.map.get(v.key)}, expected ${v.value}`
          : v.model === undefined
            ? undefined
            : mismatch(v.map, v.model, probesFor(v.model, extraProbes));
    if (why !== undefined) throw new Error(`version ${i} changed: ${why}`);
  });
  return stats;
}

/**
 * A program: at least `grow` sets to build the map up, then up to three phases of writes that
 * grow, churn or shrink it, then a drain down to the empty map. Deletes by position hit even
 * where the key space is too sparse for a random key to be present.
 */
function program(key: fc.Arbitrary<number>, grow: number, phaseLength: number) {
  const set = fc.record({ kind: fc.constant('set' as const), key, value: fc.nat(3) });
  const del = fc.record({ kind: fc.constant('delete' as const), key });
  const nth = fc.record({ kind: fc.constant('deleteNth' as const), index: fc.nat() });
  const run = fc.record({
    kind: fc.constant('deleteRun' as const),
    index: fc.nat(),
    count: fc.integer({ min: 1, max: 200 }),
  });
  const phase = (setWeight: number, delWeight: number, nthWeight: number, runWeight: number) => {
    const write: fc.Arbitrary<Write> = fc.oneof(
      { weight: setWeight, arbitrary: set },
      { weight: delWeight, arbitrary: del },
      { weight: nthWeight, arbitrary: nth },
    );
    const batch = fc.record({
      kind: fc.constant('batch' as const),
      writes: fc.array(write, { maxLength: 40 }),
    });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 300, arbitrary: write },
      { weight: 10, arbitrary: batch },
      { weight: runWeight, arbitrary: run },
    );
    return fc.array(op, { maxLength: phaseLength, size: 'max' });
  };
  const phases = fc.oneof(phase(10, 1, 1, 0), phase(4, 2, 2, 1), phase(1, 1, 12, 3));
  const drain = fc.record({ kind: fc.constant('drain' as const), index: fc.nat() });
  return fc
    .tuple(
      fc.array(set, { minLength: grow, maxLength: grow + 100, size: 'max' }),
      fc.array(phases, { maxLength: 3, size: 'max' }),
      drain,
    )
    .map(([growth, middle, end]): Op[] => [...growth, ...middle.flat(), end]);
}

/**
 * Shrinking a failed run of 2,000 writes can take minutes: past this budget fast-check stops
 * and reports the smallest failing program it has so far. A green run takes a fraction of it.
 */
const shrinkingCap = fc.interruptAfterTimeLimit(20_000);

const smallKey = fc.integer({ min: 0, max: 300 });
const largeKey = fc
  .tuple(fc.nat(2 ** 20 - 1), fc.nat(2 ** 20 - 1))
  .map(([high, low]) => high * 2 ** 20 + low); // 0 .. 2^40 - 1
const oddKey = fc.oneof(
  fc.integer({ min: -40, max: 40 }),
  fc.constantFrom(-0, 0.5, -0.5, 1e-300, 2 ** 53 - 1, -(2 ** 53), 2 ** 40 + 0.5),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);

describe('PersistentSortedMap against a sorted array model', () => {
  it('agrees on a small key space (0..300), where writes hit present keys', () => {
    noOps = 0;
    fc.assert(
      fc.property(program(smallKey, 300, 600), fc.array(smallKey, { maxLength: 4 }), (ops, p) => {
        const { maxHeight, heightDrops } = runAgainstModel(ops, p, 10);
        // Grown past one leaf, drained to none: the root split, and lost its level again.
        expect(maxHeight).toBe(2);
        expect(heightDrops).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 15, plugins: [shrinkingCap] },
    );
    expect(noOps).toBeGreaterThan(100);
  });

  it('agrees on a large key space (0..2^40), deep enough for three levels', () => {
    fc.assert(
      fc.property(program(largeKey, 1100, 300), fc.array(largeKey, { maxLength: 4 }), (ops, p) => {
        const { maxHeight, heightDrops } = runAgainstModel(ops, p, 25);
        // Over 1,024 keys need three levels (two hold 32 leaves of 32); the drain undoes both.
        expect(maxHeight).toBe(3);
        expect(heightDrops).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 10, plugins: [shrinkingCap] },
    );
  });

  it('agrees on negative, fractional and extreme keys, -0 included', () => {
    fc.assert(
      fc.property(program(oddKey, 40, 150), fc.array(oddKey, { maxLength: 4 }), (ops, p) => {
        runAgainstModel(ops, p, 3);
      }),
      { numRuns: 30, plugins: [shrinkingCap] },
    );
  });
});

describe('PersistentSortedMap.from', () => {
  it('gives what sequential sets give, later duplicates winning', () => {
    const entries = fc.oneof(
      fc.array(fc.tuple(smallKey, fc.nat(3)), { maxLength: 1500, size: 'max' }),
      fc.array(fc.tuple(largeKey, fc.nat(3)), { maxLength: 1500, size: 'max' }),
      // Already ascending: the path that skips the sort.
      fc
        .uniqueArray(largeKey, { maxLength: 1500, size: 'max' })
        .map((ks) => ks.sort((a, b) => a - b).map((k, i): Entry => [k, i])),
    );
    fc.assert(
      fc.property(entries, (es) => {
        const built = PersistentSortedMap.from(es);
        const sequential = es.reduce(
          (m, [k, v]) => m.set(k, v),
          PersistentSortedMap.empty<number>(),
        );
        PersistentSortedMap.auditedHeight(built);
        expect(built.size).toBe(sequential.size);
        expect([...built]).toEqual([...sequential]);
        if (es.length === 0) expect(built).toBe(PersistentSortedMap.empty());
      }),
      { numRuns: 40, plugins: [shrinkingCap] },
    );
  });

  it('builds a large map of every height evenly, and takes writes after', () => {
    for (const n of [1, 31, 32, 33, 64, 65, 1024, 1025, 33_000]) {
      const m = PersistentSortedMap.from(Array.from({ length: n }, (_, i): Entry => [i * 3, i]));
      PersistentSortedMap.auditedHeight(m);
      expect(m.size).toBe(n);
      expect(m.at(n - 1)).toBe((n - 1) * 3);
      const m2 = m
        .set(1, -1)
        .set(n * 3, -1)
        .delete(0);
      PersistentSortedMap.auditedHeight(m2);
      expect(m2.size).toBe(n + 1);
      expect(m.get(0)).toBe(0);
    }
  });

  it('refuses keys that are not finite numbers', () => {
    expect(() => PersistentSortedMap.from([[NaN, 1]])).toThrow(RangeError);
    expect(() => PersistentSortedMap.from([[Infinity, 1]])).toThrow(RangeError);
    expect(() => PersistentSortedMap.empty().set(-Infinity, 1)).toThrow(RangeError);
    expect(() => PersistentSortedMap.empty().withMutations((m) => m.set(NaN, 1))).toThrow(
      RangeError,
    );
  });
});

describe('PersistentSortedMap deletes', () => {
  it('deletes down to the empty map in any order, through every merge and level', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => i * 1024 + (i % 7));
    fc.assert(
      fc.property(fc.shuffledSubarray(keys, { minLength: keys.length }), (order) => {
        const full = PersistentSortedMap.from(keys.map((k, i): Entry => [k, i]));
        expect(PersistentSortedMap.auditedHeight(full)).toBe(3);
        const model = keys.map((k, i): Entry => [k, i]);
        let map = full;
        order.forEach((k, step) => {
          map = map.delete(k);
          model.splice(countBelow(model, k), 1);
          if (step % 97 === 0 || model.length < 40) {
            PersistentSortedMap.auditedHeight(map);
            check(map, model, probesFor(model, []), `delete ${step}`);
          }
        });
        expect(map).toBe(PersistentSortedMap.empty());
        expect(full.size).toBe(keys.length);
        expect([...full.keys()]).toEqual(keys);
      }),
      { numRuns: 4, plugins: [shrinkingCap] },
    );
  });

  it('moves children between branches when one runs low beside a full one', () => {
    // from() fills evenly: 2,048 keys make 64 leaves of 32 under two branches of 32 leaves.
    // Emptying one branch from either end leaves it too few children, and too many to merge.
    for (const fromLeft of [true, false]) {
      const keys = Array.from({ length: 2048 }, (_, i) => i);
      const model = keys.map((k): Entry => [k, k]);
      let map = PersistentSortedMap.from(model);
      for (let j = 0; j < 1000; j++) {
        const k = fromLeft ? j : 2047 - j;
        map = map.delete(k);
        model.splice(countBelow(model, k), 1);
        if (j % 10 === 0) check(map, model, probesFor(model, [k]), `delete ${k}`);
        expect(PersistentSortedMap.auditedHeight(map)).toBe(3);
      }
      check(map, model, probesFor(model, []), 'at the end');
    }
  });

  it('deletes everything in one batch too', () => {
    const full = PersistentSortedMap.from(Array.from({ length: 5000 }, (_, i): Entry => [i, i]));
    const emptied = full.withMutations((m) => {
      for (let i = 0; i < 5000; i += 2) m.delete(i);
      for (let i = 4999; i > 0; i -= 2) m.delete(i);
    });
    expect(emptied).toBe(PersistentSortedMap.empty());
    expect(full.size).toBe(5000);
    PersistentSortedMap.auditedHeight(full);
  });
});

describe('PersistentSortedMap.withMutations', () => {
  const entries = fc.array(fc.tuple(smallKey, fc.nat(3)), { maxLength: 300 });
  const writes = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: smallKey, value: fc.nat(3) }),
      fc.record({ kind: fc.constant('delete' as const), key: smallKey }),
    ),
    { maxLength: 600, size: 'max' },
  );

  it('gives what the same writes give one by one, and leaves its source as it was', () => {
    fc.assert(
      fc.property(entries, writes, (initial, ws) => {
        const base = PersistentSortedMap.from(initial);
        const baseEntries = [...base];
        const sequential = ws.reduce(applyToMap, base);
        const batched = base.withMutations((m) => ws.forEach((w) => applyToBatch(m, w)));
        PersistentSortedMap.auditedHeight(batched);
        expect(batched.size).toBe(sequential.size);
        expect([...batched]).toEqual([...sequential]);
        expect([...base]).toEqual(baseEntries);
        // A second batch on the result must not edit the first batch's nodes either.
        const batchedEntries = [...batched];
        const again = batched.withMutations((m) =>
          ws.forEach((w) => applyToBatch(m.set(-1, 9), w)),
        );
        expect([...batched]).toEqual(batchedEntries);
        PersistentSortedMap.auditedHeight(again);
        // Nor may writes to an earlier result, or a later batch, edit what a batch returned.
        ws.reduce(applyToMap, batched);
        expect([...batched]).toEqual(batchedEntries);
      }),
      { numRuns: 60, plugins: [shrinkingCap] },
    );
  });

  it('builds a large map equal to one built by sequential sets', () => {
    const pairs = Array.from({ length: 50_000 }, (_, i): Entry => [(i * 7919) % 100_003, i]);
    const sequential = pairs.reduce(
      (m, [k, v]) => m.set(k, v),
      PersistentSortedMap.empty<number>(),
    );
    const batched = PersistentSortedMap.empty<number>().withMutations((m) => {
      for (const [k, v] of pairs) m.set(k, v);
    });
    expect(batched.size).toBe(50_000);
    expect(PersistentSortedMap.auditedHeight(batched)).toBe(
      PersistentSortedMap.auditedHeight(sequential),
    );
    expect(sameList([...batched], [...sequential])).toBe(true);
    expect(sameList([...PersistentSortedMap.from(pairs)], [...sequential])).toBe(true);
  });

  it('returns the same map for an empty or no-op batch, and refuses writes after the batch', () => {
    const base = PersistentSortedMap.from([[1, 1]]);
    let escaped: MutablePersistentSortedMap<number> | undefined;
    expect(base.withMutations((m) => (escaped = m))).toBe(base);
    expect(base.withMutations((m) => m.set(1, 1).delete(2))).toBe(base);
    expect(() => escaped!.set(2, 2)).toThrow(/after its batch ended/);
    expect(() => escaped!.delete(1)).toThrow(/after its batch ended/);
    expect([...base]).toEqual([[1, 1]]);
  });

  it('leaves its source intact when the callback throws', () => {
    const base = PersistentSortedMap.from(Array.from({ length: 100 }, (_, i): Entry => [i, i]));
    let escaped: MutablePersistentSortedMap<number> | undefined;
    const fail = () =>
      base.withMutations((m) => {
        escaped = m.set(1000, 2).delete(5);
        throw new Error('boom');
      });
    expect(fail).toThrow('boom');
    expect(() => escaped!.set(3, 3)).toThrow(/after its batch ended/);
    expect([...base.keys()]).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('answers ordered queries inside the batch', () => {
    const m = PersistentSortedMap.from<string>([
      [10, 'a'],
      [20, 'b'],
    ]).withMutations((b) => {
      b.set(15, 'c').delete(10);
      expect([b.floor(14), b.ceiling(16), b.lower(15), b.higher(15), b.size]).toEqual([
        undefined,
        20,
        undefined,
        20,
        2,
      ]);
      b.update(15, (v) => `${v}!`);
      expect(b.get(15)).toBe('c!');
      expect(b.has(10)).toBe(false);
    });
    expect([...m]).toEqual([
      [15, 'c!'],
      [20, 'b'],
    ]);
  });
});

describe('PersistentSortedMap', () => {
  it('returns the same instance for writes that change nothing', () => {
    const m = PersistentSortedMap.from<unknown>([
      [1, 1],
      [2, NaN],
      [3, undefined],
    ]);
    expect(m.set(1, 1)).toBe(m);
    expect(m.set(2, NaN)).toBe(m);
    expect(m.set(3, undefined)).toBe(m);
    expect(m.delete(4)).toBe(m);
    expect(m.delete(NaN)).toBe(m);
    expect(m.update(1, (v) => v)).toBe(m);
    expect(m.set(3, 0)).not.toBe(m);
    expect(m.set(1, 2)).not.toBe(m);
    expect(PersistentSortedMap.empty().delete(1)).toBe(PersistentSortedMap.empty());
  });

  it('stores -0 as the key 0 and tells 0 from -0 as values', () => {
    const m = PersistentSortedMap.empty<number>().set(-0, 0);
    expect(Object.is(m.at(0), 0)).toBe(true);
    expect(Object.is(m.floor(1), 0)).toBe(true);
    expect(m.has(0) && m.has(-0)).toBe(true);
    expect(m.set(0, -0)).not.toBe(m);
    expect(Object.is(m.set(0, -0).get(-0), -0)).toBe(true);
    expect(m.set(0, -0).size).toBe(1);
  });

  it('tells a missing key from one whose value is undefined', () => {
    const m = PersistentSortedMap.empty<number | undefined>().set(5, undefined);
    expect(m.has(5)).toBe(true);
    expect(m.has(6)).toBe(false);
    expect(m.size).toBe(1);
  });

  it('finds nothing for NaN and everything between the infinities', () => {
    const m = PersistentSortedMap.from(Array.from({ length: 100 }, (_, i): Entry => [i, i]));
    for (const q of [m.get(NaN), m.floor(NaN), m.ceiling(NaN), m.lower(NaN), m.higher(NaN)]) {
      expect(q).toBeUndefined();
    }
    expect(m.below(NaN, 0)).toBeUndefined();
    expect([...m.keysFrom(NaN), ...m.entriesBackFrom(NaN)]).toEqual([]);
    expect([
      m.floor(Infinity),
      m.ceiling(-Infinity),
      m.lower(Infinity),
      m.higher(-Infinity),
    ]).toEqual([99, 0, 99, 0]);
    expect([m.rank(Infinity), m.rank(-Infinity), m.at(100), m.at(-1), m.at(1.5)]).toEqual([
      100,
      0,
      undefined,
      undefined,
      undefined,
    ]);
    expect([m.below(50, 50), m.below(50, 51), m.below(50.5, 0), m.below(-1, 0)]).toEqual([
      0,
      undefined,
      50,
      undefined,
    ]);
  });

  it('iterates the same entries through every iteration method, ascending', () => {
    const m = PersistentSortedMap.from(
      Array.from({ length: 500 }, (_, i): Entry => [(i * 37) % 500, i * 2]),
    );
    const viaForEach: Entry[] = [];
    m.forEach((v, k, self) => {
      expect(self).toBe(m);
      viaForEach.push([k, v]);
    });
    expect(viaForEach.map(([k]) => k)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect([...m]).toEqual(viaForEach);
    expect([...m.entries()]).toEqual(viaForEach);
    expect([...m.entriesFrom(-1)]).toEqual(viaForEach);
    expect([...m.keys()]).toEqual(viaForEach.map(([k]) => k));
    expect([...m.keysFrom(-Infinity)]).toEqual(viaForEach.map(([k]) => k));
    expect([...m.values()]).toEqual(viaForEach.map(([, v]) => v));
    expect([...m.entriesBackFrom(Infinity)]).toEqual([...viaForEach].reverse());
    expect(new Map(m)).toEqual(new Map(viaForEach));
  });
});
