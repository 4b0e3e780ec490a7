import { Projector, SummaryLines } from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import snapshotBootDefault, { snapshotBootPlugin } from './index';
import { BOOT_POLICIES } from './boot-options';
import { boot, capture, saveWorkingSet } from './snapshot-commands';
import { SnapshotBootQuery } from './snapshot-query';
import { GUEST_VA, IDENTITY, PAGE, VM_PAGES, bootMachine } from './test-support/boot-machine';

/** The pages a small function touches, in its order: the same on every invocation. */
const WORKLOAD = [0, 1, 2, 9, 10, 5, 17, 18, 30, 2, 9];

describe('snapshot boot', () => {
  it('is the package default export', () => {
    expect(snapshotBootDefault).toBe(snapshotBootPlugin);
    expect(snapshotBootPlugin().manifest).toMatchObject({ prefix: 'snapshot' });
  });

  it('captures the VM: its memory runs, the pages that are not zero, its guest, its vCPU state', () => {
    const { query, sim } = bootMachine();
    expect(query.images()).toEqual([
      { name: 'base', origin: 'capture', pages: VM_PAGES, stored: 24, guests: 1 },
    ]);
    expect(sim.dispatch(capture, { vm: 1, name: 'base' }).rejection?.message).toMatch(
      /Image base already exists/,
    );
  });

  it.each(BOOT_POLICIES.filter((p) => p !== 'working-set'))(
    'boots a VM (%s) whose guest reads exactly the bytes the captured VM had',
    (policy) => {
      const { sim, vm, query, memory } = bootMachine();
      const mmu = sim.get(MmuQuery);
      const original = mmu.read(vm, 0, VM_PAGES * PAGE)!;
      const booted = sim.dispatch(boot, {
        image: 'base',
        partition: 'clones',
        policy,
        identity: 'keep',
      });
      expect(booted.ok).toBe(true);
      const { vm: clone, guests } = booted.value!;
      expect(guests).toHaveLength(1);
      for (let page = 0; page < VM_PAGES; page++)
        expect(memory.read(guests[0]!, GUEST_VA + page * PAGE, PAGE)).toEqual(
          original.subarray(page * PAGE, (page + 1) * PAGE),
        );
      const report = query.report(clone)!;
      expect(report.touched).toBe(VM_PAGES);
      expect(report.faults).toBe(policy === 'lazy' ? VM_PAGES : 0);
      expect(report.prefetched).toBe(policy === 'full' ? VM_PAGES : 0);
    },
  );

  it('never loads a page no one touched under the lazy policy', () => {
    const { sim, query, memory } = bootMachine();
    const { vm, guests } = sim.dispatch(boot, {
      image: 'base',
      partition: 'clones',
      identity: 'keep',
    }).value!;
    for (const page of WORKLOAD) memory.read(guests[0]!, GUEST_VA + page * PAGE + 8, 8);
    const touched = [...new Set(WORKLOAD)].map((p) => p * PAGE);
    expect(query.firstTouches(vm)).toEqual(touched);
    const loaded = sim
      .get(MmuQuery)
      .mappings(vm)
      .filter((run) => run.frame !== -1)
      .flatMap((run) => Array.from({ length: run.pages }, (_, i) => run.va + i * PAGE));
    expect(loaded.sort((a, b) => a - b)).toEqual([...touched].sort((a, b) => a - b));
    expect(query.report(vm)).toMatchObject({ faults: touched.length, prefetched: 0 });
  });

  it('prefetches the recorded working set: fewer pages before start than full, fewer faults than lazy', () => {
    const { sim, query, memory } = bootMachine();
    const run = (policy: 'lazy' | 'working-set' | 'full') => {
      const { vm, guests } = sim.dispatch(boot, {
        image: 'base',
        partition: 'clones',
        policy,
      }).value!;
      for (const page of WORKLOAD) memory.read(guests[0]!, GUEST_VA + page * PAGE, 8);
      return { vm, report: query.report(vm)! };
    };
    const first = run('lazy');
    sim.dispatch(saveWorkingSet, { vm: first.vm });
    expect(query.images()[0]!.workingSet).toBe(new Set(WORKLOAD).size);
    const reap = run('working-set').report;
    const full = run('full').report;
    expect(reap.prefetched).toBeLessThan(full.prefetched);
    expect(reap.faults).toBeLessThan(first.report.faults);
    expect(reap).toMatchObject({ faults: 0, precision: 1, recall: 1 });
    expect(reap.bootMicros).toBeLessThan(first.report.bootMicros);
    expect(reap.bootMicros).toBeLessThan(full.bootMicros);
  });

  it('refuses a working-set boot before any working set was saved, naming what to do', () => {
    const { sim } = bootMachine();
    const refused = sim.dispatch(boot, {
      image: 'base',
      partition: 'clones',
      policy: 'working-set',
    });
    expect(refused.rejection?.message).toMatch(/has no working set yet: boot it once \(lazy\)/);
    expect(sim.dispatch(boot, { image: 'nope', partition: 'clones' }).rejection?.message).toMatch(
      /Image nope does not exist/,
    );
  });

  it('gives each clone a fresh identity, and reports clones that share one', () => {
    const { sim, query, memory } = bootMachine();
    // Read by the VM itself: a lazy page faults, is loaded, and the read is made again.
    const identityOf = (vm: number) =>
      Buffer.from(memory.read(vm, IDENTITY.gpa, IDENTITY.length)).toString('hex');
    const fresh = [0, 1].map(
      () => sim.dispatch(boot, { image: 'base', partition: 'clones' }).value!.vm,
    );
    expect(identityOf(fresh[0]!)).not.toBe(identityOf(fresh[1]!));
    expect(identityOf(fresh[0]!)).not.toBe('ab'.repeat(16));
    expect(query.stats().identityHazards).toBe(0);
    const naive = [0, 1].map(
      () => sim.dispatch(boot, { image: 'base', partition: 'clones', identity: 'keep' }).value!.vm,
    );
    expect(identityOf(naive[0]!)).toBe(identityOf(naive[1]!));
    expect(query.stats().identityHazards).toBe(1);
    const hazard = [...sim.store.read(1)].find((r) => r.type === 'snapshot.identity.shared');
    expect(hazard).toMatchObject({ data: { vm: naive[1], with: [naive[0]] } });
  });
});

describe('snapshot boot figures', () => {
  it("gives a sweep the boots' mean time and their faults", () => {
    const { sim, query, memory } = bootMachine();
    const summary = sim.getAll<SummaryLines>(SummaryLines).find((s) => s.name === 'snapshot-boot')!;
    expect(summary.figures!()).toEqual({});
    const guests = [0, 1].map(
      () => sim.dispatch(boot, { image: 'base', partition: 'clones' }).value!.guests[0]!,
    );
    memory.read(guests[0]!, GUEST_VA, 8); // one lazy page loaded, in one VM
    const booted = query.stats().vms;
    expect(booted).toHaveLength(2);
    expect(summary.figures!()).toEqual({
      'boot ms': (booted[0]!.bootMicros + booted[1]!.bootMicros) / 2 / 1000,
      'boot faults': booted[0]!.faults + booted[1]!.faults,
    });
    expect(booted[0]!.faults).toBeGreaterThan(0);
  });
});

describe('snapshot boot state', () => {
  it('is rebuilt from the events alone, and restores snapshots untouched by later events', () => {
    const { sim, memory } = bootMachine();
    const { vm, guests } = sim.dispatch(boot, { image: 'base', partition: 'clones' }).value!;
    for (const page of WORKLOAD) memory.read(guests[0]!, GUEST_VA + page * PAGE, 8);
    sim.dispatch(saveWorkingSet, { vm });
    const events = [...sim.store.read(1)].filter((r) => r.kind === 'event');
    const half = events.length >> 1;
    const projector = new Projector([mmuPlugin({ frames: 2048 }), snapshotBootPlugin()], 1);
    events.slice(0, half).forEach((e) => projector.apply(e));
    const snapshot = projector.snapshot();
    const atHalf = projector.digest();
    events.slice(half).forEach((e) => projector.apply(e));
    expect(projector.digest()).toBe(sim.digest());
    for (let round = 0; round < 2; round++) {
      projector.restore(snapshot);
      expect(projector.digest()).toBe(atHalf);
      events.slice(half).forEach((e) => projector.apply(e));
      expect(projector.digest()).toBe(sim.digest());
    }
    expect(projector.get(SnapshotBootQuery).firstTouches(vm)).toEqual(
      sim.get(SnapshotBootQuery).firstTouches(vm),
    );
  });
});
