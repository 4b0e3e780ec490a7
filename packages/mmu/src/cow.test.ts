import { machine } from './test-support/machine';
import { createPartition, createSpace, destroySpace, fork, map, write } from './mmu-commands';

describe('copy-on-write fork', () => {
  function setup() {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const parent = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch(map, { space: parent, va: 0, pages: 2 }));
    m.memory.writeU32(parent, 0, 111);
    m.memory.writeU32(parent, 4096, 222);
    return { ...m, parent };
  }

  it('shares every frame, read-only to the hardware, until somebody writes', () => {
    const { sim, ok, query, memory, parent, eventsSince } = setup();
    const seq = sim.seq;
    const child = ok(sim.dispatch(fork, { space: parent }));
    expect(eventsSince(seq)).toEqual([
      ['mmu.space.forked', { parent, child }],
      ['mmu.tlb.invalidated', { space: parent, va: 0, pages: 2 ** 36, reason: 'fork' }],
    ]);
    expect(query.mappings(child)).toEqual([{ va: 0, pages: 2, frame: 0, flags: 'PRWUADC' }]);
    expect(query.stats().cowFrames).toBe(2);
    expect(memory.readU32(child, 0)).toBe(111);
  });

  it('copies the frame on the first write, recording the copy before the write', () => {
    const { sim, ok, query, memory, parent, eventsSince } = setup();
    const child = ok(sim.dispatch(fork, { space: parent }));
    const seq = sim.seq;
    memory.writeU32(child, 0, 333);
    expect(eventsSince(seq)).toEqual([
      ['mmu.cow.resolved', { space: child, va: 0, from: 0, to: 2 }],
      [
        'mmu.memory.written',
        { space: child, va: 0, pa: 2 * 4096, data: Uint8Array.of(77, 1, 0, 0), hit: false },
      ],
    ]);
    expect(memory.readU32(child, 0)).toBe(333);
    expect(memory.readU32(parent, 0)).toBe(111);
    expect(memory.readU32(child, 4096)).toBe(222); // the untouched page is still shared
    expect(query.owners(0).refcount).toBe(1);
    expect(query.owners(1).refcount).toBe(2);
  });

  it('lets the last holder keep the frame without copying', () => {
    const { sim, ok, memory, parent, eventsSince } = setup();
    const child = ok(sim.dispatch(fork, { space: parent }));
    ok(sim.dispatch(destroySpace, { space: child }));
    const seq = sim.seq;
    memory.writeU32(parent, 0, 5);
    expect(eventsSince(seq)[0]).toEqual([
      'mmu.cow.resolved',
      { space: parent, va: 0, from: 0, to: 0 },
    ]);
  });

  it('refuses the copy when the partition has no free frame, leaving no trace but the refusal', () => {
    const m = machine({ frames: 64 });
    m.ok(m.sim.dispatch(createPartition, { name: 'tiny', frames: 1 }));
    const parent = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'tiny' }));
    m.ok(m.sim.dispatch(map, { space: parent, va: 0, pages: 1 }));
    const child = m.ok(m.sim.dispatch(fork, { space: parent }));
    const digest = m.sim.digest();
    expect(
      m.sim.dispatch(write, { space: child, va: 0, data: Uint8Array.of(1) }).rejection?.message,
    ).toBe('Partition "tiny" has no free frame to copy page 0x0 of space 2 into');
    expect(m.sim.digest()).toBe(digest);
  });
});
