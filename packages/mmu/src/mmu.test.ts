import { Pte } from './pte';
import { machine } from './test-support/machine';
import {
  createPartition,
  createSpace,
  map,
  mark,
  protect,
  read,
  unmap,
  write,
} from './mmu-commands';

const PAGE = 4096;

describe('the MMU, one host space', () => {
  function setup() {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    return { ...m, space };
  }

  it('maps fresh frames, lowest first, and records exactly that', () => {
    const { sim, ok, eventsSince, space } = setup();
    const seq = sim.seq;
    expect(ok(sim.dispatch(map, { space, va: 0x10000, pages: 2, perms: 'rw-' }))).toEqual([0, 1]);
    expect(eventsSince(seq)).toEqual([
      [
        'mmu.pages.mapped',
        {
          space,
          va: 0x10000,
          pages: 2,
          flags: Pte.PRESENT | Pte.READ | Pte.WRITE | Pte.USER,
          frames: [0, 1],
        },
      ],
    ]);
  });

  it('reads back what it wrote, little-endian, across a page boundary', () => {
    const { sim, ok, memory, space } = setup();
    ok(sim.dispatch(map, { space, va: 0x10000, pages: 2 }));
    memory.writeU64(space, 0x10ffc, 0x1122334455667788n);
    expect(memory.readU64(space, 0x10ffc)).toBe(0x1122334455667788n);
    expect(memory.readU32(space, 0x11000)).toBe(0x11223344);
    expect(memory.readU8(space, 0x10ffc)).toBe(0x88);
    expect(memory.readU16(space, 0x10000)).toBe(0); // untouched memory reads as zero
  });

  it('records a read compactly: where, how much, and whether the TLB hit', () => {
    const { sim, ok, memory, eventsSince, space } = setup();
    ok(sim.dispatch(map, { space, va: 0x10000, pages: 1 }));
    const seq = sim.seq;
    memory.readU32(space, 0x10010);
    memory.readU32(space, 0x10020);
    expect(eventsSince(seq)).toEqual([
      ['mmu.memory.read', { space, va: 0x10010, length: 4, pa: 0x10, access: 'read', hit: false }],
      ['mmu.memory.read', { space, va: 0x10020, length: 4, pa: 0x20, access: 'read', hit: true }],
    ]);
  });

  it('raises faults as events: not present, protection, kernel-only, execute', () => {
    const { sim, ok, eventsSince, space } = setup();
    ok(sim.dispatch(map, { space, va: 0, pages: 1, perms: 'r--' }));
    ok(sim.dispatch(map, { space, va: PAGE, pages: 1, perms: 'rw-', kernel: true }));
    const seq = sim.seq;
    const outcomes = [
      ok(sim.dispatch(read, { space, va: 0x5000, length: 1 })),
      ok(sim.dispatch(write, { space, va: 8, data: Uint8Array.of(1) })),
      ok(sim.dispatch(read, { space, va: PAGE, length: 1 })),
      ok(sim.dispatch(read, { space, va: PAGE, length: 1, kernel: true })),
      ok(sim.dispatch(read, { space, va: 0, length: 1, access: 'execute' })),
    ];
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, false, true, false]);
    expect(eventsSince(seq)).toEqual([
      ['mmu.fault.raised', { space, va: 0x5000, access: 'read', kind: 'not-present', stage: 1 }],
      ['mmu.fault.raised', { space, va: 8, access: 'write', kind: 'protection', stage: 1 }],
      ['mmu.fault.raised', { space, va: PAGE, access: 'read', kind: 'protection', stage: 1 }],
      ['mmu.memory.read', { space, va: PAGE, length: 1, pa: PAGE, access: 'read', hit: false }],
      ['mmu.fault.raised', { space, va: 0, access: 'execute', kind: 'protection', stage: 1 }],
    ]);
  });

  it('leaves memory untouched when a write faults on its second page', () => {
    const { sim, ok, memory, query, space } = setup();
    ok(sim.dispatch(map, { space, va: 0, pages: 1 }));
    const outcome = ok(
      sim.dispatch(write, { space, va: PAGE - 2, data: Uint8Array.of(1, 2, 3, 4) }),
    );
    expect(outcome).toEqual({
      ok: false,
      fault: { space, va: PAGE, access: 'write', kind: 'not-present', stage: 1 },
    });
    expect(query.read(space, PAGE - 2, 2)).toEqual(Uint8Array.of(0, 0));
    expect(() => memory.readU8(space, PAGE)).toThrow(
      'read of 0x1000 in space 1 faulted: not-present (stage 1)',
    );
  });

  it('unmaps, frees frames nobody holds, and shoots down the TLB', () => {
    const { sim, ok, memory, eventsSince, query, space } = setup();
    ok(sim.dispatch(map, { space, va: 0, pages: 2 }));
    memory.writeU8(space, 0, 7);
    const seq = sim.seq;
    ok(sim.dispatch(unmap, { space, va: 0, pages: 4 }));
    expect(eventsSince(seq)).toEqual([
      ['mmu.pages.unmapped', { space, va: 0, pages: 4, freed: [0, 1] }],
      ['mmu.tlb.invalidated', { space, va: 0, pages: 4, reason: 'unmap' }],
    ]);
    expect(query.tlb(space)).toEqual([]);
    expect(query.stats().partitions[0]).toEqual({
      name: 'host',
      base: 0,
      frames: 16,
      used: 0,
      free: 16,
    });
    // The frame comes back zeroed to its next owner.
    ok(sim.dispatch(map, { space, va: 0, pages: 1 }));
    expect(memory.readU8(space, 0)).toBe(0);
  });

  it('changes permissions and sets accessed and dirty bits as the hardware would', () => {
    const { sim, ok, memory, query, space } = setup();
    ok(sim.dispatch(map, { space, va: 0, pages: 2 }));
    memory.readU8(space, 0);
    memory.writeU8(space, PAGE, 1);
    expect(query.mappings(space)).toEqual([
      { va: 0, pages: 1, frame: 0, flags: 'PRWUA' },
      { va: PAGE, pages: 1, frame: 1, flags: 'PRWUAD' },
    ]);
    ok(sim.dispatch(protect, { space, va: 0, pages: 2, perms: 'r-x' }));
    expect(query.mappings(space).map((m) => m.flags)).toEqual(['PRXUA', 'PRXUAD']);
    expect(sim.dispatch(protect, { space, va: 0, pages: 3, perms: 'r--' }).rejection?.message).toBe(
      'Space 1 maps nothing at 0x2000',
    );
  });

  it('digests its state as recorded logs expect: the same bytes, release after release', () => {
    // Run files carry digests; replay checks them, so this value may never change.
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'p', frames: 64 }));
    const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'p' }));
    m.ok(m.sim.dispatch(map, { space, va: 0, pages: 8 }));
    m.ok(m.sim.dispatch(write, { space, va: 4100, data: Uint8Array.of(1, 2, 3) }));
    m.ok(m.sim.dispatch(read, { space, va: 4100, length: 2 }));
    expect(m.sim.digest()).toBe('7a3daff7424a0bb5ad476118b989e7bae0508ffa9aceb08a80c808779c229a32');
  });

  it('refuses bad commands with messages that name the problem', () => {
    const { sim, ok, space } = setup();
    ok(sim.dispatch(map, { space, va: 0, pages: 1 }));
    const refusal = (type: string, args: unknown) => sim.dispatch(type, args).rejection?.message;
    expect(refusal('mmu.map', { space, va: 0x123, pages: 1 })).toBe(
      'Invalid command mmu.map: args.va: 0x123 is not aligned to a 4096-byte page',
    );
    expect(refusal('mmu.map', { space, va: 0, pages: 1 })).toBe(
      'Space 1 already maps 0x0; unmap it first',
    );
    expect(refusal('mmu.map', { space, va: PAGE, pages: 100 })).toBe(
      'Partition "host" has 15 free frames of 16; 100 needed',
    );
    expect(refusal('mmu.map', { space: 9, va: 0, pages: 1 })).toBe('There is no address space 9');
    expect(refusal('mmu.map', { space, va: 2 ** 48 - PAGE, pages: 2 })).toBe(
      'Invalid command mmu.map: args.va: 2 pages from 0xfffffffff000 run past the 48-bit address space',
    );
    expect(refusal('mmu.write', { space, va: -1, data: [1] })).toBe(
      'Invalid command mmu.write: args.va = -1: Too small: expected number to be >=0; args.data = [1]: expected a Uint8Array of 1 to 1048576 bytes',
    );
    expect(refusal('mmu.create-partition', { name: 'host', frames: 1 })).toBe(
      'Partition "host" already exists',
    );
    expect(refusal('mmu.create-partition', { name: 'big', frames: 100 })).toBe(
      'Partition "big" wants 100 frames but only 48 of 64 are unassigned',
    );
  });
});

describe('software bits', () => {
  it('are set and cleared by mmu.mark, and only those bits', () => {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch(map, { space, va: 0, pages: 2 }));
    const bit = 1 << 10;
    m.ok(m.sim.dispatch(mark, { space, va: 0, pages: 1, set: bit | (bit << 1) }));
    m.ok(m.sim.dispatch(mark, { space, va: 0, pages: 1, clear: bit }));
    expect(m.query.mappings(space).map((r) => r.flags)).toEqual(['PRWU+1', 'PRWU']);
    const entry = [...m.sim.store.read(1)]
      .filter((r) => r.type === 'mmu.pages.marked')
      .map((r) => (r as { data: unknown }).data);
    expect(entry).toEqual([
      { space, va: 0, pages: 1, set: 0b11 << 10, clear: 0 },
      { space, va: 0, pages: 1, set: 0, clear: 1 << 10 },
    ]);
    expect(
      m.sim.dispatch(mark, { space, va: 0, pages: 1, set: Pte.WRITE }).rejection?.message,
    ).toBe('Bits 0x4 are not software bits (0xfc00); the MMU owns the others');
  });
});
