import fc from 'fast-check';
import { PersistentSortedMap, SortedMapEditor } from './persistent-sorted-map';

/*
 * The editor against a plain Map and linear scans: random writes, snapshots taken between them
 * and resets to one of those snapshots. The editor must agree with the model throughout, and
 * every snapshot must still hold, at the end, exactly what it held when taken: a write in place
 * may never reach a node a snapshot shares.
 */

type Op =
  | { kind: 'set'; key: number; value: number }
  | { kind: 'delete'; key: number }
  | { kind: 'snapshot' }
  | { kind: 'reset'; to: number };

const key = fc.integer({ min: 0, max: 3000 }); // past 32², so the tree has three levels at times
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.nat(9) }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), to: fc.nat() }) },
);

const sorted = (model: ReadonlyMap<number, number>) =>
  [...model.entries()].sort((a, b) => a[0] - b[0]);

/** The greatest model key ≤ `k` (a scan). */
const floorOf = (model: ReadonlyMap<number, number>, k: number) =>
  [...model.keys()]
    .filter((x) => x <= k)
    .reduce<number | undefined>((a, x) => (a === undefined || x > a ? x : a), undefined);

describe('SortedMapEditor', () => {
  it('agrees with a model, and leaves every snapshot it gave as it was', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 200, maxLength: 3000 }), (ops) => {
        const editor = new SortedMapEditor<number>();
        let model = new Map<number, number>();
        const taken: { map: PersistentSortedMap<number>; entries: [number, number][] }[] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            editor.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            expect(editor.has(o.key)).toBe(model.has(o.key));
            editor.delete(o.key);
            model.delete(o.key);
          } else if (o.kind === 'snapshot') {
            taken.push({ map: editor.snapshot(), entries: sorted(model) });
          } else if (taken.length > 0) {
            const back = taken[o.to % taken.length]!;
            editor.reset(back.map);
            model = new Map(back.entries);
          }
          expect(editor.size).toBe(model.size);
        }
        expect([...editor.entries()]).toEqual(sorted(model));
        const all = sorted(model);
        for (const probe of [-1, 0, 1, 1500.5, 2999, 3001, -Infinity, Infinity]) {
          expect(editor.floor(probe)).toBe(floorOf(model, probe));
          expect(editor.get(probe)).toBe(model.get(probe));
          // Ordered visits, stopped after five entries: those the scans give.
          const up: [number, number][] = [];
          editor.someFrom(probe, (k, v) => up.push([k, v]) === 5);
          expect(up).toEqual(all.filter(([k]) => k >= probe).slice(0, 5));
          const down: [number, number][] = [];
          editor.someBackFrom(probe, (k, v) => down.push([k, v]) === 5);
          expect(down).toEqual(
            all
              .filter(([k]) => k <= probe)
              .reverse()
              .slice(0, 5),
          );
        }
        expect(editor.someFrom(NaN, () => true)).toBe(false);
        for (const { map, entries } of taken) {
          expect([...map.entries()]).toEqual(entries);
          PersistentSortedMap.auditedHeight(map);
        }
        PersistentSortedMap.auditedHeight(editor.snapshot());
      }),
      { numRuns: 60 },
    );
  });

  it('copies a shared node once after a snapshot, and makes nothing for writes in its own', () => {
    const editor = new SortedMapEditor<number>();
    for (let k = 0; k < 2000; k++) editor.set(k, k); // three levels of 32
    const taken = editor.snapshot();
    expect(editor.snapshot()).toBe(taken); // no write between: the same map, O(1)
    const made = editor.nodesMade;
    editor.set(5, -5); // copies its path: the root, a branch, a leaf
    const path = editor.nodesMade - made;
    expect(path).toBeGreaterThanOrEqual(2);
    editor.set(6, -6); // the same path, its own now
    editor.set(7, -7);
    expect(editor.nodesMade - made).toBe(path);
    editor.reset(taken);
    expect(editor.snapshot()).toBe(taken);
    expect(editor.get(5)).toBe(5);
  });
});
