import { machine } from './test-support/machine';
import { createPartition, createSpace, exportCommand, map, remap, share } from './mmu-commands';

describe('partition isolation', () => {
  function setup() {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'red', frames: 8 }));
    m.ok(m.sim.dispatch(createPartition, { name: 'blue', frames: 8 }));
    const red = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'red' }));
    const blue = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'blue' }));
    return { ...m, red, blue };
  }

  it('gives each partition its own frames', () => {
    const { sim, ok, red, blue } = setup();
    expect(ok(sim.dispatch(map, { space: red, va: 0, pages: 2 }))).toEqual([0, 1]);
    expect(ok(sim.dispatch(map, { space: blue, va: 0, pages: 2 }))).toEqual([8, 9]);
    expect(sim.dispatch(map, { space: red, va: 0x10000, pages: 7 }).rejection?.message).toBe(
      'Partition "red" has 6 free frames of 8; 7 needed',
    );
  });

  it('refuses a share across partitions and records it as an isolation violation', () => {
    const { sim, ok, query, red, blue, eventsSince } = setup();
    ok(sim.dispatch(map, { space: red, va: 0, pages: 1 }));
    const seq = sim.seq;
    const outcome = ok(sim.dispatch(share, { from: red, va: 0, pages: 1, to: blue, toVa: 0x5000 }));
    const violation = { op: 'share', space: blue, frame: 0, partition: 'blue', owner: 'red' };
    expect(outcome).toEqual({ ok: false, violation });
    expect(eventsSince(seq)).toEqual([['mmu.isolation.violated', violation]]);
    expect(query.mappings(blue)).toEqual([]);
  });

  it('allows it once the frames are exported to the other partition', () => {
    const { sim, ok, memory, query, red, blue, eventsSince } = setup();
    ok(sim.dispatch(map, { space: red, va: 0, pages: 1 }));
    memory.writeU32(red, 0, 0xfeed);
    expect(
      ok(sim.dispatch(exportCommand, { space: red, va: 0, pages: 1, partition: 'blue' })),
    ).toEqual([0]);
    const seq = sim.seq;
    expect(
      ok(
        sim.dispatch(share, {
          from: red,
          va: 0,
          pages: 1,
          to: blue,
          toVa: 0x5000,
          perms: 'r--',
        }),
      ),
    ).toEqual({ ok: true });
    expect(eventsSince(seq)).toEqual([
      ['mmu.pages.shared', { from: red, va: 0, pages: 1, to: blue, toVa: 0x5000, perms: 0b10010 }],
    ]);
    expect(memory.readU32(blue, 0x5000)).toBe(0xfeed);
    expect(query.owners(0)).toEqual({
      frame: 0,
      partition: 'red',
      sharedWith: ['blue'],
      refcount: 2,
      mappings: [
        { space: red, va: 0, flags: 'PRWUADS' },
        { space: blue, va: 0x5000, flags: 'PRUAS' },
      ],
    });
    // Shared memory is shared: a write through one space is seen through the other.
    expect(() => memory.writeU8(blue, 0x5000, 1)).toThrow('faulted: protection');
    memory.writeU8(red, 0, 0xee);
    expect(memory.readU32(blue, 0x5000)).toBe(0xfeee);
  });

  it('refuses a remap across partitions too', () => {
    const { sim, ok, red, blue } = setup();
    ok(sim.dispatch(map, { space: red, va: 0, pages: 1 }));
    expect(ok(sim.dispatch(remap, { from: red, va: 0, pages: 1, to: blue, toVa: 0 }))).toEqual({
      ok: false,
      violation: { op: 'remap', space: blue, frame: 0, partition: 'blue', owner: 'red' },
    });
  });
});
