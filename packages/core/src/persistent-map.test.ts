import fc from 'fast-check';
import { type MutablePersistentMap, PersistentMap } from './persistent-map';

/*
 * Model-based tests: random sequences of writes run against a PersistentMap and against a plain
 * Map. Key spaces are small, so writes hit present keys, deletes remove real entries and keys
 * share slots in the trie. After every step the newest map must match the model, and every
 * earlier map must still match the model as it was then: nothing a write does may leak into a
 * version handed out before.
 */

type Key = string | number;
type Write =
  | { kind: 'set'; key: Key; value: number }
  | { kind: 'delete'; key: Key }
  | { kind: 'update'; key: Key; fn: 'inc' | 'keep' | 'zero' };
type Op = Write | { kind: 'batch'; writes: Write[] };

const UPDATERS = {
  inc: (v: number | undefined) => (v ?? 0) + 1,
  keep: (v: number | undefined) => v ?? 7,
  zero: () => 0,
};

function applyToModel(model: Map<Key, number>, w: Write): void {
  if (w.kind === 'set') model.set(w.key, w.value);
  else if (w.kind === 'delete') model.delete(w.key);
  else model.set(w.key, UPDATERS[w.fn](model.get(w.key)));
}

function applyToMap(map: PersistentMap<Key, number>, w: Write): PersistentMap<Key, number> {
  if (w.kind === 'set') return map.set(w.key, w.value);
  if (w.kind === 'delete') return map.delete(w.key);
  return map.update(w.key, UPDATERS[w.fn]);
}

function applyToBatch(m: MutablePersistentMap<Key, number>, w: Write): void {
  if (w.kind === 'set') m.set(w.key, w.value);
  else if (w.kind === 'delete') m.delete(w.key);
  else m.update(w.key, UPDATERS[w.fn]);
}

/** The model's entries in the documented order, computed independently of the map's. */
function referenceSorted(model: Map<Key, number>): [Key, number][] {
  const entries = [...model];
  const byNumber = (a: [Key, number], b: [Key, number]) => (a[0] as number) - (b[0] as number);
  const nums = entries.filter(([k]) => typeof k === 'number' && !Number.isNaN(k)).sort(byNumber);
  const nans = entries.filter(([k]) => Number.isNaN(k));
  const strs = entries.filter(([k]) => typeof k === 'string');
  strs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [...nums, ...nans, ...strs];
}

/** Why `map` differs from `model` over `keys`, or undefined if it does not. Faster than expect. */
function mismatch(
  map: PersistentMap<Key, number> | MutablePersistentMap<Key, number>,
  model: Map<Key, number>,
  keys: readonly Key[],
): string | undefined {
  if (map.size !== model.size) return `size ${map.size}, expected ${model.size}`;
  for (const k of keys) {
    if (map.has(k) !== model.has(k)) return `has(${String(k)}) is ${map.has(k)}`;
    if (!Object.is(map.get(k), model.get(k))) return `get(${String(k)}) is ${map.get(k)}`;
  }
  if (!(map instanceof PersistentMap)) return undefined;
  const actual = map.sortedEntries();
  const expected = referenceSorted(model);
  for (let i = 0; i < expected.length; i++) {
    const [k, v] = actual[i] ?? [];
    if (!Object.is(k, expected[i]![0]) || v !== expected[i]![1]) {
      return `sortedEntries ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
    }
  }
  const iterated = [...map];
  if (iterated.length !== model.size) return `iterates ${iterated.length} entries`;
  for (const [k, v] of iterated) if (model.get(k) !== v) return `iterates ${String(k)} => ${v}`;
  return undefined;
}

function check(
  map: PersistentMap<Key, number> | MutablePersistentMap<Key, number>,
  model: Map<Key, number>,
  keys: readonly Key[],
  when: string,
): void {
  const why = mismatch(map, model, keys);
  if (why !== undefined) throw new Error(`${when}: ${why}`);
}

function sameEntries(a: Map<Key, number>, b: Map<Key, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.has(k) && Object.is(b.get(k), v));
}

/** Runs `ops` on both sides, checking the newest version and every earlier one after each. */
function runAgainstModel(ops: readonly Op[], keys: readonly Key[], historyEveryStep = true): void {
  let map = PersistentMap.empty<Key, number>();
  const model = new Map<Key, number>();
  const history: { map: PersistentMap<Key, number>; model: Map<Key, number> }[] = [];
  ops.forEach((op, step) => {
    history.push({ map, model: new Map(model) });
    const before = map;
    if (op.kind === 'batch') {
      map = map.withMutations((m) => {
        for (const w of op.writes) {
          applyToBatch(m, w);
          applyToModel(model, w);
          check(m, model, keys, `step ${step}, inside the batch`);
        }
      });
    } else {
      map = applyToMap(map, op);
      applyToModel(model, op);
      const same = sameEntries(history[history.length - 1]!.model, model);
      if (same !== (map === before)) throw new Error(`step ${step}: a change was ${!same}`);
    }
    check(map, model, keys, `step ${step}`);
    if (historyEveryStep || step === ops.length - 1) {
      history.forEach((v, i) => check(v.map, v.model, keys, `step ${step}, version ${i}`));
    }
  });
}

function opsOver(key: fc.Arbitrary<Key>, maxLength: number): fc.Arbitrary<Op[]> {
  const write: fc.Arbitrary<Write> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('set'), key, value: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete'), key }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('update'),
        key,
        fn: fc.constantFrom('inc', 'keep', 'zero'),
      }),
    },
  );
  const batch = fc.record({
    kind: fc.constant('batch'),
    writes: fc.array(write, { maxLength: 12 }),
  });
  return fc.array(fc.oneof({ weight: 8, arbitrary: write }, { weight: 1, arbitrary: batch }), {
    maxLength,
  });
}

const ODD_NUMBERS = [0, -0, 31, 32, 1024, -32, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, 0.5];
const SPECIAL_NUMBERS = [...ODD_NUMBERS, -1.5, 1e-300, Infinity, -Infinity, NaN];
const SMALL_INTS = Array.from({ length: 25 }, (_, i) => i - 12);
const NUMBER_KEYS: Key[] = [...SMALL_INTS, ...SPECIAL_NUMBERS];
const STRING_KEYS: Key[] = ['', 'a', 'b', 'ab', 'ba', 'aa', 'A', '1', '-0', 'é', '\u{1f600}', 'zz'];
const numberKey = fc.constantFrom(...NUMBER_KEYS);
const stringKey = fc.constantFrom(...STRING_KEYS);

/** Strings and floats whose 32-bit hashes are equal in pairs: found by a birthday search. */
function collidingKeys(): Key[][] {
  const seen = new Map<number, Key>();
  const groups = new Map<number, Key[]>();
  for (let i = 0; i < 150_000; i++) {
    for (const key of [`k${i}`, i + 0.25]) {
      const h = PersistentMap.hashOf(key);
      const other = seen.get(h);
      if (other === undefined) seen.set(h, key);
      else groups.set(h, [...(groups.get(h) ?? [other]), key]);
    }
  }
  return [...groups.values()];
}

describe('PersistentMap against a Map model', () => {
  it('agrees on number keys, including -0, NaN, non-integers and big integers', () => {
    fc.assert(fc.property(opsOver(numberKey, 60), (ops) => runAgainstModel(ops, NUMBER_KEYS)));
  });

  it('agrees on string keys', () => {
    fc.assert(fc.property(opsOver(stringKey, 60), (ops) => runAgainstModel(ops, STRING_KEYS)));
  });

  it('agrees on mixed keys, where 1 and "1" are different keys', () => {
    const keys = [...NUMBER_KEYS, ...STRING_KEYS];
    fc.assert(
      fc.property(opsOver(fc.constantFrom(...keys), 60), (ops) => runAgainstModel(ops, keys)),
    );
  });

  it('agrees on a key space large enough for several trie levels', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => i);
    const key = fc.integer({ min: 0, max: 1999 });
    fc.assert(
      fc.property(opsOver(key, 400), (ops) => runAgainstModel(ops, keys, false)),
      { numRuns: 30 },
    );
  });
});

describe('PersistentMap hash collisions', () => {
  const groups = collidingKeys();
  const colliding = groups.flat();

  it('finds colliding keys to test with', () => {
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const group of groups) {
      expect(new Set(group.map((k) => PersistentMap.hashOf(k))).size).toBe(1);
    }
  });

  it('keeps colliding keys apart through random writes', () => {
    const keys = [...colliding, 'k1', 'k2', 3.25];
    fc.assert(
      fc.property(opsOver(fc.constantFrom(...keys), 60), (ops) => runAgainstModel(ops, keys)),
    );
  });

  it('deletes down to the empty map, in any order, past collision lists', () => {
    const keys: Key[] = [...colliding, ...Array.from({ length: 3000 }, (_, i) => `x${i}`)];
    fc.assert(
      fc.property(fc.shuffledSubarray(keys, { minLength: keys.length }), (order) => {
        let map = PersistentMap.from(keys.map((k, i) => [k, i] as [Key, number]));
        const model = new Map(keys.map((k, i) => [k, i]));
        const full = map;
        order.forEach((k, step) => {
          map = map.delete(k);
          model.delete(k);
          if (step % 500 === 0 || step > order.length - 20) {
            check(map, model, keys, `delete ${step}`);
          }
        });
        expect(map).toBe(PersistentMap.empty());
        expect(full.size).toBe(keys.length);
        expect(full.sortedEntries()).toHaveLength(keys.length);
      }),
      { numRuns: 5 },
    );
  });
});

describe('PersistentMap.withMutations', () => {
  const entries = fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.nat(3)), {
    maxLength: 200,
  });
  const writes = opsOver(fc.oneof(fc.integer({ min: 0, max: 300 }), stringKey), 200).map((ops) =>
    ops.flatMap((op) => (op.kind === 'batch' ? op.writes : [op])),
  );

  it('gives what the same writes give one by one, and leaves its source as it was', () => {
    fc.assert(
      fc.property(entries, writes, (initial, ws) => {
        const base = PersistentMap.from<Key, number>(initial);
        const baseEntries = base.sortedEntries();
        const sequential = ws.reduce(applyToMap, base);
        const batched = base.withMutations((m) => ws.forEach((w) => applyToBatch(m, w)));
        expect(batched.size).toBe(sequential.size);
        expect(batched.sortedEntries()).toEqual(sequential.sortedEntries());
        expect(base.sortedEntries()).toEqual(baseEntries);
        // A second batch on the result must not edit the first batch's nodes either.
        const batchedEntries = batched.sortedEntries();
        batched.withMutations((m) => ws.forEach((w) => applyToBatch(m.set(-1, 9), w)));
        expect(batched.sortedEntries()).toEqual(batchedEntries);
      }),
    );
  });

  it('builds a large map equal to one built by sequential sets', () => {
    const pairs = Array.from({ length: 50_000 }, (_, i): [Key, number] => [
      i % 3 === 0 ? `s${i}` : i * 7919,
      i,
    ]);
    const sequential = pairs.reduce((m, [k, v]) => m.set(k, v), PersistentMap.empty<Key, number>());
    const built = PersistentMap.from(pairs);
    expect(built.size).toBe(50_000);
    expect(built.sortedEntries()).toEqual(sequential.sortedEntries());
  });

  it('returns the same map for an empty batch, and refuses writes after the batch', () => {
    const base = PersistentMap.from<Key, number>([['a', 1]]);
    let escaped: MutablePersistentMap<Key, number> | undefined;
    expect(base.withMutations((m) => (escaped = m))).toBe(base);
    expect(() => escaped!.set('b', 2)).toThrow(/after its batch ended/);
    expect(() => escaped!.delete('a')).toThrow(/after its batch ended/);
    expect(base.sortedEntries()).toEqual([['a', 1]]);
  });

  it('leaves its source intact when the callback throws', () => {
    const base = PersistentMap.from<Key, number>([['a', 1]]);
    let escaped: MutablePersistentMap<Key, number> | undefined;
    const fail = () =>
      base.withMutations((m) => {
        escaped = m.set('b', 2).delete('a');
        throw new Error('boom');
      });
    expect(fail).toThrow('boom');
    expect(() => escaped!.set('c', 3)).toThrow(/after its batch ended/);
    expect(base.sortedEntries()).toEqual([['a', 1]]);
  });
});

describe('PersistentMap', () => {
  it('returns the same instance for writes that change nothing', () => {
    const m = PersistentMap.from<Key, unknown>([
      ['a', 1],
      [2, NaN],
      [3, undefined],
    ]);
    expect(m.set('a', 1)).toBe(m);
    expect(m.set(2, NaN)).toBe(m);
    expect(m.set(3, undefined)).toBe(m);
    expect(m.delete('missing')).toBe(m);
    expect(m.update('a', (v) => v)).toBe(m);
    expect(m.set(3, 0)).not.toBe(m);
    expect(m.set('a', 2)).not.toBe(m);
    expect(PersistentMap.empty().delete('x')).toBe(PersistentMap.empty());
  });

  it('tells 0 from -0 as values (Object.is) but not as keys (SameValueZero)', () => {
    const m = PersistentMap.empty<number, number>().set(-0, 0);
    expect(m.set(0, -0)).not.toBe(m);
    expect(Object.is(m.set(0, -0).get(-0), -0)).toBe(true);
    expect(m.size).toBe(1);
    expect(Object.is([...m.keys()][0], 0)).toBe(true);
    expect(m.has(0) && m.has(-0)).toBe(true);
  });

  it('tells a missing key from one whose value is undefined', () => {
    const m = PersistentMap.empty<string, number | undefined>().set('u', undefined);
    expect(m.has('u')).toBe(true);
    expect(m.has('v')).toBe(false);
    expect(m.size).toBe(1);
  });

  it('iterates the same entries through every iteration method', () => {
    const m = PersistentMap.from<Key, number>(
      Array.from({ length: 500 }, (_, i) => [i % 2 ? i : `k${i}`, i * 2]),
    );
    const viaForEach: [Key, number][] = [];
    m.forEach((v, k, self) => {
      expect(self).toBe(m);
      viaForEach.push([k, v]);
    });
    expect([...m]).toEqual(viaForEach);
    expect([...m.entries()]).toEqual(viaForEach);
    expect([...m.keys()]).toEqual(viaForEach.map(([k]) => k));
    expect([...m.values()]).toEqual(viaForEach.map(([, v]) => v));
    expect(viaForEach).toHaveLength(500);
  });

  it('sorts numbers numerically before strings in code unit order', () => {
    const keys: Key[] = [
      'b',
      10,
      'B',
      -1,
      'a',
      2,
      '\u{1f600}',
      '\uffff',
      1.5,
      NaN,
      'aa',
      -Infinity,
    ];
    const m = PersistentMap.from(keys.map((k) => [k, 0] as [Key, number]));
    expect(m.sortedEntries().map(([k]) => k)).toEqual([
      -Infinity,
      -1,
      1.5,
      2,
      10,
      NaN,
      'B',
      'a',
      'aa',
      'b',
      '\u{1f600}',
      '\uffff',
    ]);
  });

  it('hashes sequential integers without collisions, and -0 and every NaN alike', () => {
    const hashes = new Set(Array.from({ length: 100_000 }, (_, i) => PersistentMap.hashOf(i)));
    expect(hashes.size).toBe(100_000);
    expect(PersistentMap.hashOf(-0)).toBe(PersistentMap.hashOf(0));
    const otherNaN = new Float64Array(new Uint32Array([1, 0x7ff00001]).buffer)[0]!;
    expect(Number.isNaN(otherNaN)).toBe(true);
    expect(PersistentMap.hashOf(otherNaN)).toBe(PersistentMap.hashOf(NaN));
    expect(PersistentMap.empty<number, number>().set(NaN, 1).get(otherNaN)).toBe(1);
  });
});
