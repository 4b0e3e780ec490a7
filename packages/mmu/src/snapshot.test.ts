import fc from 'fast-check';
import { MmuState, type MmuSnapshot } from './mmu-state';
import { machine } from './test-support/machine';
import { applyMemoryOp, captureMemory, mapped, memoryOps } from './test-support/memory-workload';
import { createPartition, createSpace, fork, map, unmap, write } from './mmu-commands';

/** The same, its snapshots built on each other (as a timeline asks). */
function incremental(frames: number, pages: number) {
  const m = mapped(frames, pages);
  const state = m.sim.get(MmuState);
  state.incrementalSnapshots();
  return { ...m, state };
}

describe('MMU snapshots', () => {
  it('copy one frame, not the memory, after a single-byte write in 64 MiB', () => {
    const m = mapped(16_384, 16_384); // 64 MiB of 4 KiB frames
    const space = m.space;
    // Materialize every frame, so the snapshot has 64 MiB it could copy.
    const page = new Uint8Array(4096).fill(0x5a);
    for (let i = 0; i < 16_384; i++)
      m.ok(m.sim.dispatch(write, { space, va: i * 4096, data: page }));
    expect(m.query.stats().materializedFrames).toBe(16_384);

    const state = m.sim.get(MmuState);
    const before = state.snapshot();
    const copiedBefore = m.query.framesCopiedBySnapshots();
    const copiedBytesBefore = state.copiedBytes();
    m.memory.writeU8(space, 12_345 * 4096 + 7, 0x01);
    const after = state.snapshot();
    expect(m.query.framesCopiedBySnapshots() - copiedBefore).toBe(1);
    // What the kernel's rollback window reads: one page copied because a snapshot shared it.
    expect(state.copiedBytes() - copiedBytesBefore).toBe(4096);

    // Both snapshots share every other frame buffer: same objects, not copies.
    const frameOf = (snapshot: typeof before, frame: number) =>
      snapshot.memory.bytes![frame >>> 9]!.items[frame & 511];
    expect(frameOf(after, 12_344)).toBe(frameOf(before, 12_344));
    expect(frameOf(after, 12_345)).not.toBe(frameOf(before, 12_345));

    // And each snapshot still holds its own state.
    state.restore(before);
    expect(m.query.read(space, 12_345 * 4096 + 7, 1)).toEqual(Uint8Array.of(0x5a));
    state.restore(after);
    expect(m.query.read(space, 12_345 * 4096 + 7, 1)).toEqual(Uint8Array.of(0x01));
  });

  it('restore brings back tables, TLBs and digests exactly, however often it is restored', () => {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch(map, { space, va: 0, pages: 4 }));
    m.memory.writeU32(space, 0, 1);
    const state = m.sim.get(MmuState);
    const saved = state.snapshot();
    const digest = state.digest();
    for (let i = 0; i < 3; i++) {
      m.memory.writeU32(space, 4096, 2);
      m.ok(m.sim.dispatch(unmap, { space, va: 0, pages: 2 }));
      expect(state.digest()).not.toBe(digest);
      state.restore(saved);
      expect(state.digest()).toBe(digest);
      expect(m.query.mappings(space)).toEqual([
        { va: 0, pages: 1, frame: 0, flags: 'PRWUAD' },
        { va: 4096, pages: 3, frame: 1, flags: 'PRWU' },
      ]);
    }
  });

  it('tell what they hold together: every frame they keep, each version counted once', () => {
    const m = mapped(1024, 1024);
    const space = m.space;
    for (let i = 0; i < 1024; i++) m.memory.writeU8(space, i * 4096, 1);
    const state = m.sim.get(MmuState);
    const frames = (n: number) => n * (4096 + 160);
    const slack = 64 * 1024; // directories, chunks, the page table, the TLB
    const within = (bytes: number, expected: number) => {
      expect(bytes).toBeGreaterThanOrEqual(expected);
      expect(bytes).toBeLessThanOrEqual(expected + slack);
    };
    const first = state.snapshot();
    within(state.snapshotBytes([first]), frames(1024));
    for (let i = 0; i < 10; i++) m.memory.writeU8(space, i * 4096 + 1, 2);
    const second = state.snapshot();
    // The second shares all but the ten frames written between them with the first.
    within(state.snapshotBytes([first, second]), frames(1034));
    const both = state.snapshotBytes([first, second]);
    // What the live state does next changes nothing they hold.
    for (let i = 5; i < 25; i++) m.memory.writeU8(space, i * 4096 + 2, 3);
    state.restore(first);
    expect(state.snapshotBytes([first, second])).toBe(both);
    expect(state.snapshotBytes([first, second, first])).toBe(both);
    expect(state.snapshotBytes([])).toBe(0);
  });

  it('grow, with each snapshot taken, by no more than what was made since the last taken or restored', () => {
    // The memory budget of time travel measures only when this bound could pass it.
    const op = fc.oneof(
      fc.record({ write: fc.nat({ max: 63 }), at: fc.nat({ max: 4095 }) }),
      fc.constant({ snapshot: true }),
      fc.record({ restore: fc.nat() }),
      fc.record({ unmap: fc.nat({ max: 63 }) }),
      fc.record({ map: fc.nat({ max: 63 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const m = mapped(128, 64);
        const space = m.space;
        const state = m.sim.get(MmuState);
        const snapshots: MmuSnapshot[] = [];
        let held = 0;
        let mark = 0; // what was made when the last snapshot was taken or restored
        for (const o of ops) {
          if ('snapshot' in o) {
            snapshots.push(state.snapshot());
            const now = state.snapshotBytes(snapshots);
            expect(now).toBeLessThanOrEqual(held + state.allocatedBytes() - mark);
            [held, mark] = [now, state.allocatedBytes()];
            continue;
          }
          if ('write' in o) {
            const data = Uint8Array.of(1 + (o.at & 0x7f));
            m.sim.dispatch(write, { space, va: o.write * 4096 + o.at, data });
          } else if ('restore' in o && snapshots.length > 0) {
            state.restore(snapshots[o.restore % snapshots.length]!);
            mark = state.allocatedBytes();
          } else if ('unmap' in o) m.sim.dispatch(unmap, { space, va: o.unmap * 4096, pages: 1 });
          else if ('map' in o) m.sim.dispatch(map, { space, va: o.map * 4096, pages: 1 });
          expect(state.snapshotBytes(snapshots)).toBe(held); // the live state moves, they do not
        }
      }),
      { numRuns: 150 },
    );
  });

  it('built on each other (incremental), restore exactly what was captured, through keys shed or not', () => {
    // Brute force beside them: at each snapshot, the digest and every byte of physical memory.
    const FRAMES = 48;
    const op = fc.oneof(
      ...memoryOps(4),
      fc.constant({ snapshot: true }),
      fc.constant({ snapshot: true }),
      fc.record({ restore: fc.nat() }),
      fc.constant({ shed: true }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const m = mapped(FRAMES, 16);
        let space = m.space;
        const state = m.sim.get(MmuState);
        state.incrementalSnapshots();
        const taken: { snapshot: MmuSnapshot; digest: string; memory: string }[] = [];
        const capture = () => captureMemory(m, FRAMES);
        let held = 0;
        let mark = 0; // the first snapshot holds all made before it
        for (const o of ops) {
          if ('snapshot' in o) {
            taken.push({ snapshot: state.snapshot(), ...capture() });
            const now = state.snapshotBytes(taken.map((t) => t.snapshot));
            expect(now).toBeLessThanOrEqual(held + state.allocatedBytes() - mark);
            [held, mark] = [now, state.allocatedBytes()];
          } else if ('restore' in o) {
            if (taken.length === 0) continue;
            const t = taken[o.restore % taken.length]!;
            mark = state.allocatedBytes(); // a restore makes frames the next snapshot may hold
            state.restore(t.snapshot);
            expect(capture()).toEqual({ digest: t.digest, memory: t.memory });
          } else if ('shed' in o) {
            state.shed(taken.map((t) => t.snapshot));
            held = state.snapshotBytes(taken.map((t) => t.snapshot));
          } else space = applyMemoryOp(m, space, o);
        }
        // Every snapshot, restored last, still gives what it captured.
        for (const t of taken) {
          state.restore(t.snapshot);
          expect(capture()).toEqual({ digest: t.digest, memory: t.memory });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('built on each other, journal no write while there is no snapshot to build on', () => {
    // With its base shed, the next snapshot is a key: a journal of the writes until then (a
    // timeline on a tight memory budget spaces them far apart) would be memory thrown away.
    const m = incremental(48, 16);
    const { space, state } = m;
    m.memory.writeU8(space, 0, 1);
    expect(state.journaledBytes()).toBe(0); // nothing taken yet: the first is a key
    const first = state.snapshot();
    m.memory.writeU8(space, 4096, 2);
    expect(state.journaledBytes()).toBe(4 + 1);
    state.shed([]); // no snapshot held any more: the live state lets go of its base
    expect(state.journaledBytes()).toBe(0);
    for (let page = 0; page < 8; page++) m.memory.writeU8(space, page * 4096 + 1, 3);
    expect(state.journaledBytes()).toBe(0);
    const key = state.snapshot();
    expect(key.memory.bytes).toBeDefined();
    m.memory.writeU8(space, 2 * 4096, 4);
    const patched = state.snapshot();
    expect(patched.memory.bytes).toBeUndefined();
    state.restore(first);
    expect(m.query.read(space, 0, 2)).toEqual(Uint8Array.of(1, 0));
    expect(m.query.read(space, 4096, 2)).toEqual(Uint8Array.of(0, 0));
    state.restore(patched);
    expect(m.query.read(space, 2 * 4096, 2)).toEqual(Uint8Array.of(4, 3));
    expect(m.query.read(space, 4096, 2)).toEqual(Uint8Array.of(2, 3));
  });

  it('built on each other, give back a frame freed between them zeroed, and one copied as it was', () => {
    const m = incremental(48, 16);
    const { space, state } = m;
    const start = state.snapshot();
    m.memory.writeU8(space, 6 * 4096, 9);
    const child = m.ok(m.sim.dispatch(fork, { space }));
    m.memory.writeU8(child, 6 * 4096 + 1, 1); // breaks copy on write: a frame copied
    m.memory.writeU8(space, 5 * 4096, 7);
    m.ok(m.sim.dispatch(unmap, { space, va: 5 * 4096, pages: 1 }));
    m.ok(m.sim.dispatch(unmap, { space: child, va: 5 * 4096, pages: 1 })); // frees it
    const end = state.snapshot();
    const physical = () => m.query.readPhysical(0, 48 * 4096);
    const atEnd = physical();
    expect(end.memory.bytes).toBeUndefined(); // a patch, not a key
    state.restore(start);
    state.restore(end);
    expect(physical()).toEqual(atEnd);
    expect(m.query.read(child, 6 * 4096, 2)).toEqual(Uint8Array.of(9, 1));
    expect(m.query.read(space, 6 * 4096, 2)).toEqual(Uint8Array.of(9, 0));
  });

  it('built on each other, grow by no more than what was made since a restore began', () => {
    // Restoring a patch replays it into frames of the live state's own; a key taken next holds them.
    const m = incremental(48, 16);
    const { space, state } = m;
    const start = state.snapshot();
    for (let page = 0; page < 4; page++) m.memory.writeU8(space, page * 4096, 7);
    const patched = state.snapshot();
    state.restore(start);
    const held = state.snapshotBytes([start, patched]);
    const mark = state.allocatedBytes();
    state.restore(patched);
    for (let page = 0; page < 8; page++)
      m.ok(m.sim.dispatch(write, { space, va: (page & 3) * 4096, data: new Uint8Array(4096) }));
    const key = state.snapshot();
    expect(key.memory.bytes).toBeDefined();
    expect(state.snapshotBytes([start, patched, key])).toBeLessThanOrEqual(
      held + state.allocatedBytes() - mark,
    );
  });

  it('built on each other, hold a write as its bytes and a few more, not as a frame', () => {
    const held = (incremental: boolean) => {
      const m = mapped(1024, 1024);
      const space = m.space;
      const state = m.sim.get(MmuState);
      if (incremental) state.incrementalSnapshots();
      const snapshots = [state.snapshot()];
      for (let i = 0; i < 64; i++) {
        for (let page = 0; page < 1024; page += 16) m.memory.writeU8(space, page * 4096 + i, i + 1);
        snapshots.push(state.snapshot());
      }
      state.restore(snapshots[30]!);
      expect(m.query.read(space, 16 * 4096 + 29, 2)).toEqual(Uint8Array.of(30, 0));
      return state.snapshotBytes(snapshots) - state.snapshotBytes([snapshots[0]!]);
    };
    // 64 one-byte writes between snapshots, over 64 frames: copy on write holds 64 frames each.
    expect(held(false)).toBeGreaterThan(64 * 64 * 4096);
    expect(held(true)).toBeLessThan(held(false) / 20);
  });
});
