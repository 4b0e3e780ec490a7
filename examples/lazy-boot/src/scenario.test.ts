import { Simulation } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import {
  SnapshotBootQuery,
  snapshotBootPlugin,
  type SnapshotBootOptions,
} from '@chronovisor/plugin-snapshot-boot';
import { reexecute, replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import lazyBoot from './scenario';
import { invocationPages } from './workload';

/** The example's plugin set, from its chronovisor.config.json, with options changed. */
function plugins(boot: Partial<SnapshotBootOptions> = {}, tlbEntries?: number) {
  const config = JSON.parse(
    readFileSync(path.join(__dirname, '../chronovisor.config.json'), 'utf8'),
  ) as { plugins: { options: object }[] };
  const [mmu, snapshots] = config.plugins;
  const tlb =
    tlbEntries === undefined ? {} : { tlb: { entries: tlbEntries, policy: 'fifo' as const } };
  return [
    mmuPlugin({ ...mmu!.options, ...tlb }),
    snapshotBootPlugin({ ...snapshots!.options, ...boot }),
  ];
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-lazy-boot-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(): { file: string; sim: Simulation } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, { manifest: { seed: 1 } });
  const sim = new Simulation({ plugins: plugins(), seed: 1, store, digestInterval: 500 });
  lazyBoot(sim);
  sim.close();
  store.close();
  return { file, sim };
}

describe('the lazy boot example', () => {
  it('ranks the policies: the working set starts nearly as soon as lazy and faults as little as full', () => {
    const { sim } = record();
    const [lazy, reap, full] = sim.get(SnapshotBootQuery).vms();
    const touched = new Set(invocationPages()).size;
    expect(lazy).toMatchObject({ policy: 'lazy', prefetched: 0, faults: touched, touched });
    expect(reap).toMatchObject({ policy: 'working-set', prefetched: touched, faults: 0 });
    expect(reap).toMatchObject({ precision: 1, recall: 1 });
    expect(full).toMatchObject({ policy: 'full', prefetched: 1024, faults: 0 });
    expect(reap!.bootMicros).toBeLessThan(lazy!.bootMicros);
    expect(reap!.bootMicros).toBeLessThan(full!.bootMicros);
    expect(reap!.startMicros).toBeLessThan(full!.startMicros);
  });

  it('replays to the same digests, re-executes identically, and seeks through the run', () => {
    const { file, sim } = record();
    const run = SqliteStore.open(file, { readonly: true });
    const replayed = replayState(run, plugins(), { seed: 1 });
    expect(replayed).toMatchObject({ ok: true, finalDigest: sim.digest() });
    expect(replayed.digestsChecked).toBeGreaterThan(3);
    expect(reexecute(run, plugins(), { seed: 1 }).identical).toBe(true);
    // The cost model is the query's: a slower image store records the same log.
    expect(reexecute(run, plugins({ bandwidthMBps: 100 }), { seed: 1 }).identical).toBe(true);
    // A one-entry TLB misses where the recorded run hit: the first divergence is such a read.
    const small = reexecute(run, plugins({}, 1), { seed: 1 });
    expect(small.identical).toBe(false);
    expect(small.divergence!.recorded).toMatchObject({ type: 'mmu.memory.read' });

    const timeline = new Timeline(run, plugins(), { seed: 1, snapshotEvery: 200 });
    const boots = [...run.read(1)].filter((r) => r.type === 'snapshot.vm.booted');
    const vmsAt = (seq: number) => (
      timeline.seek(seq),
      timeline.get(SnapshotBootQuery).vms().length
    );
    expect(boots.map((r) => vmsAt(r.seq - 1))).toEqual([0, 1, 2]);
    expect(vmsAt(boots[1]!.seq)).toBe(2);
    timeline.seek(timeline.head);
    expect(timeline.projectionDigests()).toEqual(sim.projectionDigests());
    run.close();
  });
});
