import { machine } from './test-support/machine';
import {
  createPartition,
  createSpace,
  destroySpace,
  fork,
  load,
  map,
  protect,
  read,
  share,
  unmap,
  write,
} from './mmu-commands';

const PAGE = 4096;

/** A VM in partition `vm1` (stage 2) running a guest process (stage 1). */
function setup() {
  const m = machine();
  m.ok(m.sim.dispatch(createPartition, { name: 'vm1', frames: 16 }));
  const vm = m.ok(m.sim.dispatch(createSpace, { kind: 'vm', partition: 'vm1' }));
  const guest = m.ok(m.sim.dispatch(createSpace, { kind: 'guest', vm }));
  return { ...m, vm, guest };
}

describe('two-stage translation', () => {
  it('translates guest-virtual → guest-physical → host-physical, combining permissions', () => {
    const { sim, ok, memory, query, vm, guest, eventsSince } = setup();
    // Guest RAM: guest-physical pages 0-3 backed by host frames 0-3.
    expect(ok(sim.dispatch(map, { space: vm, va: 0, pages: 4 }))).toEqual([0, 1, 2, 3]);
    // The guest OS maps its virtual 0x40_0000 to guest-physical page 2, read-only to the guest's user.
    ok(sim.dispatch(map, { space: guest, va: 0x400000, pages: 1, perms: 'rw-', to: 2 * PAGE }));
    const seq = sim.seq;
    memory.writeU32(guest, 0x400010, 0xcafe);
    expect(eventsSince(seq)).toEqual([
      [
        'mmu.memory.written',
        {
          space: guest,
          va: 0x400010,
          pa: 2 * PAGE + 0x10,
          gpa: 2 * PAGE + 0x10,
          data: Uint8Array.of(0xfe, 0xca, 0, 0),
          hit: false,
        },
      ],
    ]);
    // The VMM sees the same bytes at the guest-physical address.
    expect(memory.readU32(vm, 2 * PAGE + 0x10)).toBe(0xcafe);
    expect(query.translate(guest, 0x400010)).toEqual({
      ok: true,
      pa: 0x2010,
      gpa: 0x2010,
      flags: 'PRWUAD',
      tlbHit: true,
      cow: false,
    });
    // Stage 2 read-only: the guest's write faults to the VMM (stage 2), though stage 1 allows it.
    ok(sim.dispatch(protect, { space: vm, va: 2 * PAGE, pages: 1, perms: 'r--' }));
    const outcome = ok(sim.dispatch(write, { space: guest, va: 0x400010, data: Uint8Array.of(1) }));
    expect(outcome).toEqual({
      ok: false,
      fault: {
        space: guest,
        va: 0x400010,
        access: 'write',
        kind: 'protection',
        stage: 2,
        gpa: 0x2010,
      },
    });
  });

  it('delivers a stage-1 fault to the guest and a stage-2 fault to the VMM', () => {
    const { sim, ok, vm, guest, eventsSince } = setup();
    ok(sim.dispatch(map, { space: guest, va: 0x1000, pages: 1, to: 5 * PAGE }));
    const seq = sim.seq;
    ok(sim.dispatch(read, { space: guest, va: 0x9000, length: 8 }));
    ok(sim.dispatch(read, { space: guest, va: 0x1008, length: 8 }));
    expect(eventsSince(seq)).toEqual([
      [
        'mmu.fault.raised',
        { space: guest, va: 0x9000, access: 'read', kind: 'not-present', stage: 1 },
      ],
      [
        'mmu.fault.raised',
        {
          space: guest,
          va: 0x1008,
          access: 'read',
          kind: 'not-present',
          stage: 2,
          gpa: 5 * PAGE + 8,
        },
      ],
    ]);
    // The VMM backs the guest page lazily (snapshot boot's way): the fault says so.
    ok(sim.dispatch(map, { space: vm, va: 5 * PAGE, pages: 1, lazy: true }));
    expect(ok(sim.dispatch(read, { space: guest, va: 0x1008, length: 8 }))).toEqual({
      ok: false,
      fault: {
        space: guest,
        va: 0x1008,
        access: 'read',
        kind: 'lazy',
        stage: 2,
        gpa: 5 * PAGE + 8,
      },
    });
    const frame = ok(
      sim.dispatch(load, {
        space: vm,
        va: 5 * PAGE,
        data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 42),
      }),
    );
    expect(frame).toBe(0);
    expect(ok(sim.dispatch(read, { space: guest, va: 0x1008, length: 1 }))).toEqual({
      ok: true,
      bytes: Uint8Array.of(42),
    });
  });

  it('flushes every guest TLB of a VM when its stage-2 table changes', () => {
    const { sim, ok, memory, query, vm, guest, eventsSince } = setup();
    ok(sim.dispatch(map, { space: vm, va: 0, pages: 2 }));
    ok(sim.dispatch(map, { space: guest, va: 0, pages: 2, to: 0 }));
    memory.readU8(guest, 0);
    memory.readU8(guest, PAGE);
    expect(query.tlb(guest).map((e) => [e.vpn, e.frame, e.guestFrame])).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    const seq = sim.seq;
    ok(sim.dispatch(unmap, { space: vm, va: PAGE, pages: 1 }));
    expect(eventsSince(seq)).toEqual([
      ['mmu.pages.unmapped', { space: vm, va: PAGE, pages: 1, freed: [1] }],
      ['mmu.tlb.invalidated', { space: vm, va: PAGE, pages: 1, reason: 'stage-2' }],
    ]);
    expect(query.tlb(guest)).toEqual([]);
    expect(ok(sim.dispatch(read, { space: guest, va: PAGE, length: 1 }))).toMatchObject({
      ok: false,
      fault: { stage: 2, kind: 'not-present' },
    });
  });

  it("hands a guest the lowest guest-physical pages its VM's memory backs and no guest maps", () => {
    const { sim, ok, vm, guest } = setup();
    ok(sim.dispatch(map, { space: vm, va: 0, pages: 2 }));
    ok(sim.dispatch(map, { space: vm, va: 4 * PAGE, pages: 3 })); // a hole at 2-3: no memory there
    const other = ok(sim.dispatch(createSpace, { kind: 'guest', vm }));
    ok(sim.dispatch(map, { space: other, va: 0, pages: 1, to: 4 * PAGE }));
    // Pages 0, 1 and 5: page 4 is the other guest's, 2 and 3 are not the VM's memory.
    expect(ok(sim.dispatch(map, { space: guest, va: 0x10000, pages: 3 }))).toEqual([0, 1, 5]);
    expect(sim.dispatch(map, { space: guest, va: 0x20000, pages: 2 }).rejection?.message).toBe(
      `VM ${vm} has 1 guest-physical pages free for guest space ${guest}; 2 needed`,
    );
    // Unmapped, a page is free again, and the next guest map takes it.
    ok(sim.dispatch(unmap, { space: guest, va: 0x10000 + PAGE, pages: 1 }));
    expect(ok(sim.dispatch(map, { space: other, va: PAGE, pages: 2 }))).toEqual([1, 6]);
  });

  it('forks a guest copy-on-write at stage 1: a write gives the writer a guest-physical page of its own', () => {
    const { sim, ok, memory, query, vm, guest, eventsSince } = setup();
    ok(sim.dispatch(map, { space: vm, va: 0, pages: 8 }));
    ok(sim.dispatch(map, { space: guest, va: 0x10000, pages: 2 })); // guest-physical pages 0, 1
    memory.writeU32(guest, 0x10000, 0xaaaa);
    const child = ok(sim.dispatch(fork, { space: guest }));
    // The child maps the parent's guest-physical pages, both read-only to the hardware.
    expect(query.translate(child, 0x10000)).toMatchObject({ ok: true, gpa: 0, pa: 0 });
    expect(memory.readU32(child, 0x10000)).toBe(0xaaaa);
    const seq = sim.seq;
    memory.writeU32(child, 0x10000, 0xbbbb);
    // The child's write copied the page into the lowest free guest-physical page (2), frame 2.
    expect(eventsSince(seq)[0]).toEqual([
      'mmu.cow.resolved',
      { space: child, va: 0x10000, from: 0, to: 2, fromGpa: 0, toGpa: 2 * PAGE },
    ]);
    expect(memory.readU32(child, 0x10000)).toBe(0xbbbb);
    expect(memory.readU32(guest, 0x10000)).toBe(0xaaaa);
    expect(query.translate(child, 0x10000)).toMatchObject({ gpa: 2 * PAGE, pa: 2 * PAGE });
    // The parent, now the page's only holder, keeps its guest-physical page: nothing copied.
    const again = sim.seq;
    memory.writeU32(guest, 0x10000, 0xcccc);
    expect(eventsSince(again)[0]).toEqual([
      'mmu.cow.resolved',
      { space: guest, va: 0x10000, from: 0, to: 0, fromGpa: 0, toGpa: 0 },
    ]);
    expect(memory.readU32(child, 0x10000)).toBe(0xbbbb);
  });

  it('shares guest-physical pages between guests of one VM, and a fork keeps them shared', () => {
    const { sim, ok, memory, vm, guest } = setup();
    ok(sim.dispatch(map, { space: vm, va: 0, pages: 8 }));
    ok(sim.dispatch(map, { space: guest, va: 0x10000, pages: 1 }));
    const other = ok(sim.dispatch(createSpace, { kind: 'guest', vm }));
    expect(
      ok(sim.dispatch(share, { from: guest, va: 0x10000, to: other, toVa: 0x50000, pages: 1 })),
    ).toEqual({ ok: true });
    memory.writeU32(other, 0x50000, 0x1234);
    expect(memory.readU32(guest, 0x10000)).toBe(0x1234);
    const child = ok(sim.dispatch(fork, { space: other }));
    memory.writeU32(child, 0x50000, 0x5678); // shared, not copy-on-write: all three see it
    expect(memory.readU32(guest, 0x10000)).toBe(0x5678);
    expect(memory.readU32(other, 0x50000)).toBe(0x5678);
    // Another VM's guest shares nothing with these.
    ok(sim.dispatch(createPartition, { name: 'vm2', frames: 8 }));
    const vm2 = ok(sim.dispatch(createSpace, { kind: 'vm', partition: 'vm2' }));
    const stranger = ok(sim.dispatch(createSpace, { kind: 'guest', vm: vm2 }));
    expect(
      sim.dispatch(share, { from: guest, va: 0x10000, to: stranger, toVa: 0, pages: 1 }).rejection
        ?.message,
    ).toBe(
      `Guest spaces ${guest} and ${stranger} run in different VMs: they share no guest-physical pages`,
    );
  });

  it('refuses what does not make sense for a guest space', () => {
    const { sim, vm, guest } = setup();
    expect(sim.dispatch(fork, { space: vm }).rejection?.message).toBe(
      `Host and guest spaces fork; space ${vm} is a vm space (its guests' memory)`,
    );
    expect(sim.dispatch(createSpace, { kind: 'guest', vm: guest }).rejection?.message).toBe(
      'Space 2 is a guest space, not a VM',
    );
    expect(sim.dispatch(destroySpace, { space: vm }).rejection?.message).toBe(
      'VM 1 still runs guest spaces 2; destroy them first',
    );
  });
});
