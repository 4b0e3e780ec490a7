import { machine } from './test-support/machine';
import { createPartition, createSpace, map, read, remap } from './mmu-commands';

describe('remap', () => {
  it('moves frames to another space without copying them, and shoots down the source', () => {
    const { sim, ok, memory, query, eventsSince } = machine();
    ok(sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const a = ok(sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    const b = ok(sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    ok(sim.dispatch(map, { space: a, va: 0x10000, pages: 3 }));
    memory.writeU64(a, 0x11000, 0xabcdefn);
    const materialized = query.stats().materializedFrames;
    const seq = sim.seq;
    expect(
      ok(sim.dispatch(remap, { from: a, va: 0x10000, pages: 3, to: b, toVa: 0x70000 })),
    ).toEqual({ ok: true });
    expect(eventsSince(seq)).toEqual([
      ['mmu.pages.remapped', { from: a, va: 0x10000, pages: 3, to: b, toVa: 0x70000 }],
      ['mmu.tlb.invalidated', { space: a, va: 0x10000, pages: 3, reason: 'remap' }],
    ]);
    expect(query.mappings(a)).toEqual([]);
    expect(query.mappings(b)).toEqual([
      { va: 0x70000, pages: 1, frame: 0, flags: 'PRWU' },
      { va: 0x71000, pages: 1, frame: 1, flags: 'PRWUAD' },
      { va: 0x72000, pages: 1, frame: 2, flags: 'PRWU' },
    ]);
    expect(memory.readU64(b, 0x71000)).toBe(0xabcdefn);
    expect(query.stats().materializedFrames).toBe(materialized); // nothing was copied
    expect(query.tlb(a)).toEqual([]);
    expect(ok(sim.dispatch(read, { space: a, va: 0x11000, length: 1 }))).toMatchObject({
      ok: false,
      fault: { kind: 'not-present' },
    });
  });

  it('refuses a target range that is already mapped, or overlaps its source', () => {
    const { sim, ok } = machine();
    ok(sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const a = ok(sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    ok(sim.dispatch(map, { space: a, va: 0, pages: 4 }));
    expect(
      sim.dispatch(remap, { from: a, va: 0, pages: 2, to: a, toVa: 0x1000 }).rejection?.message,
    ).toBe('The source and target ranges of space 1 overlap');
    expect(
      sim.dispatch(remap, { from: a, va: 0, pages: 1, to: a, toVa: 0x3000 }).rejection?.message,
    ).toBe('Space 1 already maps 0x3000; unmap it first');
  });
});
