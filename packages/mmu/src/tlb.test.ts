import { Projector } from '@chronovisor/core';
import { mmuPlugin } from './mmu-plugin';
import { MmuQuery } from './mmu-query';
import { MmuState } from './mmu-state';
import { Tlb } from './tlb';
import { machine } from './test-support/machine';
import { createPartition, createSpace, map } from './mmu-commands';

describe('Tlb', () => {
  it('evicts the least recently used entry under LRU', () => {
    const tlb = new Tlb(2, 'lru');
    tlb.fill(10, 1, -1, 0);
    tlb.fill(11, 2, -1, 0);
    tlb.hit(10);
    tlb.fill(12, 3, -1, 0); // evicts 11, used longest ago
    expect(
      tlb
        .entries()
        .map((e) => e.vpn)
        .sort(),
    ).toEqual([10, 12]);
  });

  it('evicts the oldest fill under FIFO, whatever was used since', () => {
    const tlb = new Tlb(2, 'fifo');
    tlb.fill(10, 1, -1, 0);
    tlb.fill(11, 2, -1, 0);
    tlb.hit(10);
    tlb.fill(12, 3, -1, 0); // evicts 10, filled first
    expect(
      tlb
        .entries()
        .map((e) => e.vpn)
        .sort(),
    ).toEqual([11, 12]);
  });

  it('shoots down a range, and restores a snapshot exactly', () => {
    const tlb = new Tlb(8, 'lru');
    for (let vpn = 0; vpn < 6; vpn++) tlb.fill(vpn, vpn + 100, -1, 0);
    const saved = tlb.snapshot();
    expect(tlb.invalidate(2, 3)).toBe(3);
    expect(tlb.entries().map((e) => e.vpn)).toEqual([0, 1, 5]);
    tlb.restore(saved);
    expect(tlb.entries().map((e) => e.vpn)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tlb.misses).toBe(6);
  });
});

describe('the TLB in the MMU', () => {
  it('counts hits and misses, and a replay of the events reproduces them exactly', () => {
    const m = machine({ frames: 64, tlb: { entries: 4, policy: 'lru' } });
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 32 }));
    const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    m.ok(m.sim.dispatch(map, { space, va: 0, pages: 8 }));
    // A loop over 5 pages with a 4-entry LRU TLB: every access misses (the classic LRU cliff).
    for (let round = 0; round < 3; round++)
      for (let page = 0; page < 5; page++) m.memory.readU8(space, page * 4096);
    // A loop over 3 pages fits: after the first round, everything hits.
    for (let round = 0; round < 3; round++)
      for (let page = 0; page < 3; page++) m.memory.readU8(space, page * 4096);
    const live = m.query.stats().spaces[0]!;
    expect([live.tlbHits, live.tlbMisses]).toEqual([6, 18]);

    // State replay: the recorded events folded through the projection, as `chronovisor replay` does.
    const replay = new Projector([mmuPlugin({ frames: 64, tlb: { entries: 4, policy: 'lru' } })]);
    for (const record of m.sim.store.read(1)) if (record.kind === 'event') replay.apply(record);
    expect(replay.get(MmuQuery).stats().spaces).toEqual(m.query.stats().spaces);
    expect(replay.get(MmuState).digest()).toBe(m.sim.get(MmuState).digest());
  });

  it('has hit rates that depend on the policy, so re-execution can compare them', () => {
    const rate = (policy: 'lru' | 'fifo') => {
      const m = machine({ frames: 64, tlb: { entries: 3, policy } });
      m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 32 }));
      const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
      m.ok(m.sim.dispatch(map, { space, va: 0, pages: 8 }));
      // A hot page (0) visited between cold ones: LRU keeps it, FIFO keeps evicting it.
      for (const page of [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7])
        m.memory.readU8(space, page * 4096);
      return m.query.stats().spaces[0]!.tlbHits;
    };
    expect(rate('lru')).toBe(6);
    expect(rate('fifo')).toBeLessThan(6);
  });
});
