import {
  MemoryStore,
  Simulation,
  Xoshiro128StarStar,
  type EventRecord,
  type LogRecord,
} from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { reexecute } from './reexecute';
import { replayState } from './replay-state';
import { tallyPlugin } from './test-support/tally-plugin';
import * as mmu from '@chronovisor/mmu';

/** An MMU run: a space, a mapping, then random reads and writes (some faulting). */
function mmuRun(tlb: 'lru' | 'fifo' = 'lru', commands = 3000) {
  const store = new MemoryStore();
  const plugins = [mmuPlugin({ frames: 256, tlb: { entries: 8, policy: tlb } })];
  const sim = new Simulation({ plugins, seed: 5, store, digestInterval: 500 });
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 256 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: 32 });
  const rng = new Xoshiro128StarStar(5);
  for (let i = 0; i < commands; i++) {
    const va = rng.nextInt(0, 35) * 4096 + rng.nextInt(0, 511) * 8;
    if (i % 2) sim.dispatch(mmu.write, { space, va, data: Uint8Array.of(i & 0xff) });
    else sim.dispatch(mmu.read, { space, va, length: 8 });
  }
  sim.close();
  return { store, plugins, sim };
}

/** A store holding `records` with `digests`: a run as a forger left it. */
function storeOf(records: LogRecord[], digests = new MemoryStore().digests()) {
  const store = new MemoryStore();
  store.append(records);
  for (const d of digests) store.appendDigest(d);
  return store;
}

describe('replayState', () => {
  it('rebuilds the state from the events alone, agreeing with every recorded digest', () => {
    const { store, plugins, sim } = mmuRun();
    const progress: number[] = [];
    const report = replayState(store, plugins, { onProgress: (done) => progress.push(done) });
    expect(report).toMatchObject({ ok: true, records: store.head(), finalDigest: sim.digest() });
    expect(report.digestsChecked).toBe(store.digests().length);
    expect(report.digestsChecked).toBeGreaterThan(5);
    expect(progress.at(-1)).toBe(store.head());
  });

  it('names the first seq whose digest differs, and the projection that differs', () => {
    const { store, plugins } = mmuRun();
    const records = [...store.read(1)];
    const victim = records.findIndex((r) => r.type === 'mmu.memory.written' && r.seq > 1200);
    const written = records[victim] as EventRecord<{ data: Uint8Array }>;
    records[victim] = { ...written, data: { ...written.data, data: Uint8Array.of(0xee) } };
    const report = replayState(storeOf(records, store.digests()), plugins);
    const firstDigestAfter = store.digests().find((d) => d.seq >= written.seq)!.seq;
    expect(report.ok).toBe(false);
    expect(report.mismatch).toMatchObject({ seq: firstDigestAfter, projections: ['mmu'] });
    expect(report.message).toMatch(
      new RegExp(`^State differs from the run at seq ${firstDigestAfter} in mmu`),
    );
  });
});

describe('reexecute', () => {
  it('reproduces a run record for record with the same plugin set', () => {
    const { store, plugins } = mmuRun();
    const report = reexecute(store, plugins, { seed: 5 });
    expect(report.identical).toBe(true);
    expect(report.reexecuted).toEqual(report.recorded);
  });

  it('reports the exact first divergent seq when a handler behaves differently', () => {
    const store = new MemoryStore();
    const sim = new Simulation({ plugins: [tallyPlugin()], store });
    for (const n of [5, 10, 20, 49, 50, 3, 70]) sim.dispatch('tally.add', { n });
    sim.close();
    // The first command with n ≥ 50 is the 5th: command seq 9, its event seq 10.
    const report = reexecute(store, [tallyPlugin('doubling')]);
    expect(report.identical).toBe(false);
    expect(report.divergence?.seq).toBe(10);
    expect(report.divergence?.recorded).toMatchObject({
      type: 'tally.total.changed',
      data: { by: 50, total: 134 },
    });
    expect(report.divergence?.reexecuted).toMatchObject({
      type: 'tally.total.changed',
      data: { by: 100, total: 184 },
    });
    expect(report.message).toBe(
      'The runs diverge at seq 10: recorded event tally.total.changed {"by":50,"total":134}, re-executed event tally.total.changed {"by":100,"total":184}',
    );
  });

  it('answers "what would this workload do with another TLB?" with a divergence and a summary', () => {
    const { store } = mmuRun('lru');
    const report = reexecute(
      store,
      [mmuPlugin({ frames: 256, tlb: { entries: 8, policy: 'fifo' } })],
      { seed: 5 },
    );
    expect(report.identical).toBe(false);
    // The first difference is a TLB hit one policy has and the other has not.
    expect(report.divergence?.recorded?.type).toMatch(/^mmu\.memory\./);
    expect((report.divergence?.recorded as EventRecord<{ hit: boolean }>).data.hit).not.toBe(
      (report.divergence?.reexecuted as EventRecord<{ hit: boolean }>).data.hit,
    );
    expect(report.recorded.records).toBe(report.reexecuted.records);
    expect(report.recorded.faults).toBe(report.reexecuted.faults);
    expect(report.recorded.finalDigest).not.toBe(report.reexecuted.finalDigest);
  });
});
