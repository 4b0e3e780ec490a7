import { MmuState } from './mmu-state';
import { machine } from './test-support/machine';

describe('MMU snapshots', () => {
  it('copy one frame, not the memory, after a single-byte write in 64 MiB', () => {
    const m = machine({ frames: 16_384 }); // 64 MiB of 4 KiB frames
    m.ok(m.sim.dispatch('mmu.create-partition', { name: 'host', frames: 16_384 }));
    const space = m.ok(m.sim.dispatch('mmu.create-space', { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch('mmu.map', { space, va: 0, pages: 16_384 }));
    // Materialize every frame, so the snapshot has 64 MiB it could copy.
    const page = new Uint8Array(4096).fill(0x5a);
    for (let i = 0; i < 16_384; i++)
      m.ok(m.sim.dispatch('mmu.write', { space, va: i * 4096, data: page }));
    expect(m.query.stats().materializedFrames).toBe(16_384);

    const state = m.sim.get(MmuState);
    const before = state.snapshot();
    const copiedBefore = m.query.framesCopiedBySnapshots();
    m.memory.writeU8(space, 12_345 * 4096 + 7, 0x01);
    const after = state.snapshot();
    expect(m.query.framesCopiedBySnapshots() - copiedBefore).toBe(1);

    // Both snapshots share every other frame buffer: same objects, not copies.
    const frameOf = (snapshot: typeof before, frame: number) =>
      snapshot.memory.bytes[frame >>> 9]!.items[frame & 511];
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
    m.ok(m.sim.dispatch('mmu.create-partition', { name: 'host', frames: 16 }));
    const space = m.ok(m.sim.dispatch('mmu.create-space', { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch('mmu.map', { space, va: 0, pages: 4 }));
    m.memory.writeU32(space, 0, 1);
    const state = m.sim.get(MmuState);
    const saved = state.snapshot();
    const digest = state.digest();
    for (let i = 0; i < 3; i++) {
      m.memory.writeU32(space, 4096, 2);
      m.ok(m.sim.dispatch('mmu.unmap', { space, va: 0, pages: 2 }));
      expect(state.digest()).not.toBe(digest);
      state.restore(saved);
      expect(state.digest()).toBe(digest);
      expect(m.query.mappings(space)).toEqual([
        { va: 0, pages: 1, frame: 0, flags: 'PRWUAD' },
        { va: 4096, pages: 3, frame: 1, flags: 'PRWU' },
      ]);
    }
  });

  it('tell what they hold beyond the live state: the frames changed since, each counted once', () => {
    const m = machine({ frames: 1024 });
    m.ok(m.sim.dispatch('mmu.create-partition', { name: 'host', frames: 1024 }));
    const space = m.ok(m.sim.dispatch('mmu.create-space', { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch('mmu.map', { space, va: 0, pages: 1024 }));
    for (let i = 0; i < 1024; i++) m.memory.writeU8(space, i * 4096, 1);
    const state = m.sim.get(MmuState);
    const frames = (n: number) => n * (4096 + 160);
    const slack = 64 * 1024; // directory chunks, a leaf of the page table (A/D bits), the TLB
    const first = state.snapshot();
    // Nothing changed since: it shares every frame with the live state.
    expect(state.retainedBytes([first])).toBeLessThan(slack);
    for (let i = 0; i < 10; i++) m.memory.writeU8(space, i * 4096 + 1, 2);
    const second = state.snapshot();
    for (let i = 5; i < 25; i++) m.memory.writeU8(space, i * 4096 + 2, 3);
    const held = (snapshots: Parameters<MmuState['retainedBytes']>[0]) => {
      const bytes = state.retainedBytes(snapshots);
      return { min: bytes - slack, max: bytes };
    };
    // The first holds the old versions of frames 0-9 (changed since) and of frames 10-24.
    expect(held([first]).max).toBeGreaterThanOrEqual(frames(25));
    expect(held([first]).min).toBeLessThanOrEqual(frames(25));
    // The second holds frames 5-24 as they were before the last writes (0-4 it shares with now).
    expect(held([second]).max).toBeGreaterThanOrEqual(frames(20));
    expect(held([second]).min).toBeLessThanOrEqual(frames(20));
    // Together: frames 0-9 in two versions (5-9 differ between them), 10-24 once, shared.
    expect(held([first, second]).max).toBeGreaterThanOrEqual(frames(30));
    expect(held([first, second]).min).toBeLessThanOrEqual(frames(30));
    expect(state.retainedBytes([first, second, first])).toBe(state.retainedBytes([first, second]));
    expect(state.retainedBytes([])).toBe(0);
  });
});
