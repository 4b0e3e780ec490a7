import * as fc from 'fast-check';
import { Projector } from '@chronovisor/core';
import { mmuPlugin } from './mmu-plugin';
import { MmuQuery } from './mmu-query';
import { MmuState } from './mmu-state';
import { Tlb, type TlbPolicy } from './tlb';
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

/** The TLB as a list in eviction order (next victim first): slow, and plainly right. */
class ModelTlb {
  entries: { vpn: number; frame: number; guestFrame: number; flags: number }[] = [];

  constructor(
    readonly capacity: number,
    readonly policy: TlbPolicy,
  ) {}

  hit(vpn: number, setFlags: number): void {
    const i = this.entries.findIndex((e) => e.vpn === vpn);
    const entry = this.entries[i]!;
    entry.flags |= setFlags;
    if (this.policy === 'lru') this.entries.push(...this.entries.splice(i, 1));
  }

  fill(vpn: number, frame: number, flags: number): void {
    const i = this.entries.findIndex((e) => e.vpn === vpn);
    if (i >= 0) this.entries.splice(i, 1);
    else if (this.entries.length >= this.capacity) this.entries.shift();
    this.entries.push({ vpn, frame, guestFrame: -1, flags });
  }

  invalidate(vpn: number, pages: number): void {
    this.entries = this.entries.filter((e) => e.vpn < vpn || e.vpn >= vpn + pages);
  }
}

describe('Tlb against a model', () => {
  type Op =
    | { op: 'fill'; vpn: number; frame: number; flags: number }
    | { op: 'hit'; vpn: number; flags: number }
    | { op: 'invalidate'; vpn: number; pages: number }
    | { op: 'flush' }
    | { op: 'snapshot-restore' }
    | { op: 'save' }
    | { op: 'restore-saved' };
  const vpn = fc.integer({ min: 0, max: 4 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant('fill' as const),
      vpn,
      frame: fc.nat(100),
      flags: fc.nat(15),
    }),
    fc.record({ op: fc.constant('hit' as const), vpn, flags: fc.nat(15) }),
    fc.record({ op: fc.constant('hit' as const), vpn, flags: fc.nat(15) }),
    fc.record({
      op: fc.constant('invalidate' as const),
      vpn,
      pages: fc.integer({ min: 1, max: 4 }),
    }),
    fc.constant({ op: 'flush' as const }),
    fc.constant({ op: 'snapshot-restore' as const }),
    fc.constant({ op: 'save' as const }),
    fc.constant({ op: 'restore-saved' as const }),
  );

  it.each(['lru', 'fifo'] as const)(
    'holds the same entries in the same order as the model, under %s',
    (policy) => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 6 }),
          fc.array(op, { minLength: 20, maxLength: 80 }),
          (capacity, ops) => {
            const tlb = new Tlb(capacity, policy);
            const model = new ModelTlb(capacity, policy);
            let saved = { tlb: tlb.snapshot(), model: [] as ModelTlb['entries'] };
            for (const o of ops) {
              if (o.op === 'fill') {
                tlb.fill(o.vpn, o.frame, -1, o.flags);
                model.fill(o.vpn, o.frame, o.flags);
              } else if (o.op === 'hit') {
                // A hit only on a cached page, as the MMU makes them.
                if (tlb.lookup(o.vpn) === undefined) continue;
                tlb.hit(o.vpn, o.flags);
                model.hit(o.vpn, o.flags);
              } else if (o.op === 'invalidate') {
                tlb.invalidate(o.vpn, o.pages);
                model.invalidate(o.vpn, o.pages);
              } else if (o.op === 'flush') {
                tlb.flush();
                model.entries = [];
              } else if (o.op === 'save') {
                saved = { tlb: tlb.snapshot(), model: model.entries.map((e) => ({ ...e })) };
              } else if (o.op === 'restore-saved') {
                tlb.restore(saved.tlb);
                model.entries = saved.model.map((e) => ({ ...e }));
              } else tlb.restore(tlb.snapshot());
              expect(tlb.entries()).toEqual(model.entries);
            }
          },
        ),
        {
          numRuns: 500,
        },
      );
    },
  );
});
