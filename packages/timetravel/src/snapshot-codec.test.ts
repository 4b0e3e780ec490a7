import { PersistentMap, PersistentSortedMap } from '@chronovisor/core';
import fc from 'fast-check';
import { SnapshotDecoder, SnapshotEncoder } from './snapshot-codec';

function roundTrip(encoder: SnapshotEncoder, shelf: Map<number, Uint8Array>, value: unknown) {
  const { state, buffers } = encoder.encode(value);
  for (const [id, bytes] of buffers) shelf.set(id, bytes);
  return { back: new SnapshotDecoder((id) => shelf.get(id)!).decode(state), buffers };
}

describe('snapshot codec', () => {
  it('gives back any structured data it encodes', () => {
    const leaf = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.boolean(),
      fc.bigInt(),
      fc.constant(null),
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 2000 }),
      fc.float64Array({ maxLength: 300 }).map((a) => a),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('tree'), { maxKeys: 4, noNullPrototype: true }),
        fc.array(fc.tuple(fc.integer(), tie('tree')), { maxLength: 3 }).map((e) => new Map(e)),
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        expect(roundTrip(new SnapshotEncoder(), new Map(), value).back).toStrictEqual(value);
      }),
    );
  });

  it('keeps sharing, cycles and holes, and stores a large buffer once for every snapshot', () => {
    const encoder = new SnapshotEncoder();
    const shelf = new Map<number, Uint8Array>();
    const frame = new Uint8Array(4096).fill(7);
    const node: { self?: unknown; frames: unknown[] } = { frames: [frame, frame] };
    node.self = node;
    const sparse = new Array<unknown>(5);
    sparse[3] = 'x';
    const first = roundTrip(encoder, shelf, { node, sparse });
    expect(first.buffers).toHaveLength(1);
    const back = first.back as { node: typeof node; sparse: unknown[] };
    expect(back.node.self).toBe(back.node);
    expect(back.node.frames[0]).toBe(back.node.frames[1]);
    expect(back.node.frames[0]).toEqual(frame);
    expect(back.sparse).toHaveLength(5);
    expect(back.sparse[3]).toBe('x');
    // A later snapshot holding the same frame refers to it: no new buffer.
    const second = roundTrip(encoder, shelf, { again: frame, other: new Uint8Array(4096) });
    expect(second.buffers).toHaveLength(1);
    expect((second.back as { again: Uint8Array }).again).toEqual(frame);
  });

  it("keeps the kernel's persistent maps, entries and sharing both", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), fc.integer()), { maxLength: 40 }),
        fc.array(fc.tuple(fc.integer(), fc.string()), { maxLength: 40 }),
        (pairs, sorted) => {
          const map = PersistentMap.from(pairs);
          const ordered = PersistentSortedMap.from(sorted);
          const { back } = roundTrip(new SnapshotEncoder(), new Map(), {
            map,
            again: map,
            ordered: [ordered],
          });
          const b = back as { map: typeof map; again: typeof map; ordered: [typeof ordered] };
          expect(b.map).toBeInstanceOf(PersistentMap);
          expect(b.again).toBe(b.map);
          expect([...b.map].sort()).toEqual([...map].sort());
          expect(b.ordered[0]).toBeInstanceOf(PersistentSortedMap);
          expect([...b.ordered[0]]).toEqual([...ordered]);
        },
      ),
    );
  });

  it('refuses class instances, naming where they are and what to do', () => {
    class Heap {
      brk = 0;
    }
    expect(() => new SnapshotEncoder().encode({ heaps: [new Heap()] })).toThrow(
      /\$\.heaps\[0\] is an instance of Heap: .*snapshotToData/,
    );
  });
});
