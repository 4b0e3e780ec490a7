import { MemoryStore, Simulation, Xoshiro128StarStar, type LogRecord } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import fc from 'fast-check';
import { Timeline } from './timeline';

const PAGE = 4096;
const plugins = () => [mmuPlugin({ frames: 96 })];

interface Region {
  readonly space: number;
  readonly va: number;
  readonly pages: number;
}

/**
 * A random run of the ways bytes get behind more than one address: shares, forks (copy-on-write),
 * remaps, a VM with a guest (two stages), lazy pages loaded later, unmaps, and reads and writes
 * through all of them. Commands the MMU refuses are part of the run too.
 */
function recordRun(seed: number): { store: MemoryStore; regions: Region[] } {
  const store = new MemoryStore();
  const sim = new Simulation({ plugins: plugins(), seed, store });
  const rng = new Xoshiro128StarStar(seed);
  const ok = <T>(o: { ok: boolean; value?: T }) => o.value as T;
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 96 });
  const host = () => ok<number>(sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }));
  const [a, b] = [host(), host()];
  const vm = ok<number>(sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'p' }));
  const guest = ok<number>(sim.dispatch(mmu.createSpace, { kind: 'guest', vm }));
  sim.dispatch(mmu.map, { space: a, va: 0, pages: 4 });
  sim.dispatch(mmu.map, { space: a, va: 0x80000, pages: 2, lazy: true });
  sim.dispatch(mmu.map, { space: b, va: 0x10000, pages: 4 });
  sim.dispatch(mmu.map, { space: vm, va: 0, pages: 4 });
  sim.dispatch(mmu.map, { space: guest, va: 0x400000, pages: 4, to: 0 });
  const regions: Region[] = [
    { space: a, va: 0, pages: 4 },
    { space: a, va: 0x80000, pages: 2 },
    { space: b, va: 0x10000, pages: 4 },
    { space: vm, va: 0, pages: 4 },
    { space: guest, va: 0x400000, pages: 4 },
  ];
  const hosts = [a, b];
  const pick = <T>(list: readonly T[]) => list[rng.nextInt(0, list.length - 1)]!;
  const somewhere = () => {
    const r = pick(regions);
    return { space: r.space, va: r.va + rng.nextInt(0, r.pages * PAGE - 8) };
  };
  let fresh = 0x100000;
  for (let i = 0; i < 160; i++) {
    const roll = rng.nextInt(0, 99);
    if (roll < 48) {
      const { space, va } = somewhere();
      const data = new Uint8Array(rng.nextInt(1, 8)).fill((i % 250) + 1);
      sim.dispatch(mmu.write, { space, va, data });
    } else if (roll < 64) {
      const { space, va } = somewhere();
      sim.dispatch(mmu.read, { space, va, length: rng.nextInt(1, 8) });
    } else if (roll < 70) {
      const from = pick(regions.filter((r) => hosts.includes(r.space)));
      const to = pick(hosts);
      const page = rng.nextInt(0, from.pages - 1);
      const va = from.va + page * PAGE;
      const outcome = sim.dispatch(mmu.share, { from: from.space, va, pages: 1, to, toVa: fresh });
      if (outcome.ok) regions.push({ space: to, va: fresh, pages: 1 });
      fresh += PAGE;
    } else if (roll < 74 && hosts.length < 6) {
      const parent = pick(hosts);
      const child = sim.dispatch(mmu.fork, { space: parent });
      if (child.ok) {
        hosts.push(child.value!);
        for (const r of regions.filter((r) => r.space === parent))
          regions.push({ ...r, space: child.value! });
      }
    } else if (roll < 79) {
      const from = pick(regions.filter((r) => hosts.includes(r.space)));
      const to = pick(hosts);
      const va = from.va + rng.nextInt(0, from.pages - 1) * PAGE;
      const outcome = sim.dispatch(mmu.remap, { from: from.space, va, pages: 1, to, toVa: fresh });
      if (outcome.ok) regions.push({ space: to, va: fresh, pages: 1 });
      fresh += PAGE;
    } else if (roll < 88) {
      const r = pick(regions);
      sim.dispatch(mmu.unmap, {
        space: r.space,
        va: r.va + rng.nextInt(0, r.pages - 1) * PAGE,
        pages: 1,
      });
    } else if (roll < 96) {
      const r = pick(regions.filter((r) => hosts.includes(r.space)));
      sim.dispatch(mmu.map, { space: r.space, va: r.va, pages: 1 });
    } else {
      const va = 0x80000 + rng.nextInt(0, 1) * PAGE;
      const data = rng.nextInt(0, 1) ? new Uint8Array(64).fill(0xee) : undefined;
      sim.dispatch(mmu.load, data ? { space: a, va, data } : { space: a, va });
    }
  }
  sim.close();
  return { store, regions };
}

/** The MMU payload fields the brute force reads. */
interface Fields {
  readonly pa: number;
  readonly length: number;
  readonly data: Uint8Array;
  readonly from: number;
  readonly to: number;
  readonly frame: number;
  readonly space: number;
  readonly va: number;
  readonly freed: readonly number[];
}

type Entry = { readonly seq: number; readonly how: 'read' | 'write' | 'copy' | 'load' };

/**
 * The reference: every physical byte's history, by brute force over the MMU's own events. A
 * write or read lands on the bytes at its physical address; a copy-on-write copy gives the new
 * frame the old one's history; a load starts a page afresh; a free forgets it.
 */
function physicalHistories(records: readonly LogRecord[], upTo: number): Map<number, Entry[]> {
  const bytes = new Map<number, Entry[]>();
  const add = (pa: number, entry: Entry) => {
    const list = bytes.get(pa) ?? [];
    bytes.set(pa, [...list, entry]);
  };
  const free = (frames: readonly number[]) => {
    for (const f of frames) for (let o = 0; o < PAGE; o++) bytes.delete(f * PAGE + o);
  };
  for (const r of records) {
    if (r.seq > upTo) break;
    if (r.kind !== 'event') continue;
    const d = r.data as Fields;
    const seq = r.seq;
    if (r.type === 'mmu.memory.written')
      for (let i = 0; i < d.data.length; i++) add(d.pa + i, { seq, how: 'write' });
    else if (r.type === 'mmu.memory.read')
      for (let i = 0; i < d.length; i++) add(d.pa + i, { seq, how: 'read' });
    else if (r.type === 'mmu.cow.resolved' && d.from !== d.to)
      for (let o = 0; o < PAGE; o++)
        bytes.set(d.to * PAGE + o, [...(bytes.get(d.from * PAGE + o) ?? []), { seq, how: 'copy' }]);
    else if (r.type === 'mmu.page.loaded')
      for (let o = 0; o < PAGE; o++) bytes.set(d.frame * PAGE + o, [{ seq, how: 'load' }]);
    else if (r.type === 'mmu.pages.unmapped' || r.type === 'mmu.space.destroyed') free(d.freed);
  }
  return bytes;
}

/**
 * The next write to the bytes at `pa` after `at`, by brute force: following `space`'s own
 * copy-on-write copy of the page, ending where the frame is freed.
 */
function nextWrite(
  records: readonly LogRecord[],
  at: number,
  space: number,
  va: number,
  pa: number,
): number | undefined {
  for (const r of records) {
    if (r.seq <= at || r.kind !== 'event') continue;
    const d = r.data as Fields;
    const frame = Math.floor(pa / PAGE);
    if (r.type === 'mmu.memory.written') {
      if (d.pa <= pa && pa < d.pa + d.data.length) return r.seq;
    } else if (r.type === 'mmu.cow.resolved') {
      if (d.from === frame && d.from !== d.to && d.space === space && d.va === va - (va % PAGE))
        pa = d.to * PAGE + (pa % PAGE);
    } else if (r.type === 'mmu.pages.unmapped' || r.type === 'mmu.space.destroyed') {
      if (d.freed.includes(frame)) return undefined;
    }
  }
  return undefined;
}

describe('provenance through physical memory', () => {
  it('agrees with a brute-force scan of physical memory: why, history and watchpoints both ways', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const { store, regions } = recordRun(seed);
        const records = [...store.read(1)];
        const timeline = new Timeline(store, plugins(), { snapshotEvery: 64 });
        const rng = new Xoshiro128StarStar(seed ^ 0x5bd1e995);
        let checked = 0;
        for (let k = 0; k < 30; k++) {
          const r = regions[rng.nextInt(0, regions.length - 1)]!;
          const va = r.va + rng.nextInt(0, r.pages * PAGE - 1);
          const at = rng.nextInt(1, records.length);
          timeline.seek(at);
          const pa = timeline.get(MmuQuery).physicalAddress(r.space, va);
          if (pa === undefined) continue;
          checked++;
          const past = physicalHistories(records, at).get(pa) ?? [];
          const changes = past.filter((e) => e.how === 'write' || e.how === 'load');
          expect(timeline.lastWrite(r.space, va)?.seq).toBe(changes.at(-1)?.seq);
          const why = timeline.why(r.space, va);
          expect(why.filter((o) => o.how !== 'copy').map((o) => o.write.seq)).toEqual(
            changes.length === 0 ? [] : [changes.at(-1)!.seq],
          );
          expect(why.filter((o) => o.how === 'copy').map((o) => o.write.seq)).toEqual(
            past
              .filter((e) => e.how === 'copy' && e.seq > (changes.at(-1)?.seq ?? 0))
              .map((e) => e.seq)
              .reverse(),
          );
          const history = timeline
            .history(r.space, va)
            .filter((t) => t.access.seq <= at)
            .map((t) => [t.access.seq, t.how]);
          expect(history).toEqual(past.map((e) => [e.seq, e.how]));

          const watch = timeline.watch(r.space, va, 1);
          const back = timeline.reverseContinue(watch);
          expect(back?.record.seq).toBe(changes.filter((e) => e.seq < at).at(-1)?.seq);
          timeline.seek(at);
          const on = timeline.continue(watch);
          expect(on?.record.seq).toBe(nextWrite(records, at, r.space, va, pa));
        }
        expect(checked).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });
});

describe('provenance through shared memory, as users met it', () => {
  /** A shares a page with B; C is a fork of B; C writes the shared page. */
  function sharedThenForked() {
    const store = new MemoryStore();
    const sim = new Simulation({ plugins: plugins(), store });
    sim.dispatch(mmu.createPartition, { name: 'p', frames: 96 });
    const space = () => sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
    const [a, b] = [space(), space()];
    sim.dispatch(mmu.map, { space: a, va: 0x1000, pages: 1 });
    sim.dispatch(mmu.write, { space: a, va: 0x1010, data: Uint8Array.of(1, 1, 1, 1) });
    const byA = sim.seq;
    sim.dispatch(mmu.share, { from: a, va: 0x1000, pages: 1, to: b, toVa: 0x9000 });
    const c = sim.dispatch(mmu.fork, { space: b }).value!;
    sim.dispatch(mmu.write, { space: c, va: 0x9010, data: Uint8Array.of(7, 7) });
    const byC = sim.seq;
    sim.dispatch(mmu.read, { space: b, va: 0x9010, length: 4 });
    const readByB = sim.seq;
    sim.close();
    return { store, a, b, c, byA, byC, readByB };
  }

  it('names the write another space made to shared bytes, and a watchpoint stops there, saying so', () => {
    const { store, a, b, c, byA, byC, readByB } = sharedThenForked();
    const timeline = new Timeline(store, plugins());
    timeline.seek(store.head());
    expect([...timeline.get(MmuQuery).read(a, 0x1010, 4)!]).toEqual([7, 7, 1, 1]);
    expect(timeline.why(a, 0x1010)).toMatchObject([
      { how: 'write', write: { seq: byC, space: c, va: 0x9010 } },
    ]);
    expect(timeline.lastWrite(a, 0x1012)?.seq).toBe(byA);
    expect(timeline.history(a, 0x1010).map((t) => [t.access.seq, t.access.space])).toEqual([
      [byA, a],
      [byC, c],
      [readByB, b],
    ]);
    const stopped = timeline.reverseContinue(timeline.watch(a, 0x1010, 4));
    expect(stopped?.record.seq).toBe(byC);
    expect(timeline.accessOf(stopped!.record)?.space).toBe(c);
  });

  it('follows a copy-on-write copy: a forked child writing its own copy does not fire, the parent does', () => {
    const store = new MemoryStore();
    const sim = new Simulation({ plugins: plugins(), store });
    sim.dispatch(mmu.createPartition, { name: 'p', frames: 96 });
    const parent = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
    sim.dispatch(mmu.map, { space: parent, va: 0, pages: 1 });
    sim.dispatch(mmu.write, { space: parent, va: 8, data: Uint8Array.of(1) });
    const written = sim.seq;
    const child = sim.dispatch(mmu.fork, { space: parent }).value!;
    const forked = sim.seq;
    sim.dispatch(mmu.write, { space: parent, va: 8, data: Uint8Array.of(2) }); // copies
    const byParent = sim.seq;
    sim.dispatch(mmu.write, { space: child, va: 8, data: Uint8Array.of(3) }); // the old frame, now the child's alone
    const byChild = sim.seq;
    sim.close();

    const timeline = new Timeline(store, plugins());
    timeline.seek(forked);
    const watch = timeline.watch(parent, 8, 1);
    expect(timeline.continue(watch)?.record.seq).toBe(byParent);
    expect(timeline.continue(watch)).toBeUndefined(); // the child's write is to other bytes now
    timeline.seek(forked);
    const childWatch = timeline.watch(child, 8, 1);
    expect(timeline.continue(childWatch)?.record.seq).toBe(byChild);
    // Back from the end: the parent's byte was copied from the frame the child kept.
    const why = timeline.why(parent, 8);
    expect(why.map((o) => o.how)).toEqual(['write']);
    const copied = [...store.read(forked, byParent)].find((r) => r.type === 'mmu.cow.resolved')!;
    timeline.seek(copied.seq); // after the copy, before the parent's store
    expect(timeline.why(parent, 8).map((o) => [o.how, o.write.seq])).toEqual([
      ['copy', copied.seq],
      ['write', written],
    ]);
  });
});
