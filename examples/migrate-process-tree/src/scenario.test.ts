import { Simulation, Xoshiro128StarStar } from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import { ProcQuery, checkpointPlugin, type ProcOptions } from '@chronovisor/plugin-checkpoint';
import { reexecute, replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import migrateProcessTree from './scenario';
import { PROCESS_VA } from './service';

/** The example's plugin set, from its chronovisor.config.json, with checkpoint options changed. */
function plugins(options: Partial<ProcOptions> = {}) {
  const config = JSON.parse(
    readFileSync(path.join(__dirname, '../chronovisor.config.json'), 'utf8'),
  ) as { plugins: { options: object }[] };
  const [mmu, proc] = config.plugins;
  return [mmuPlugin(mmu!.options), checkpointPlugin({ ...proc!.options, ...options })];
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-migrate-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(): { file: string; sim: Simulation } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, { manifest: { seed: 1 } });
  const sim = new Simulation({ plugins: plugins(), seed: 1, store, digestInterval: 100 });
  migrateProcessTree(sim, { rng: new Xoshiro128StarStar(1) });
  sim.close();
  store.close();
  return { file, sim };
}

describe('the migrate-process-tree example', () => {
  it('restores the service on node b as it was, and moves the jobs: remap copies nothing', () => {
    const { sim, file } = record();
    const query = sim.get(ProcQuery);
    const identities = (domain: string) =>
      query
        .processes(domain)
        .filter((p) => p.pid <= 6)
        .map(({ space: _, fds: __, ...p }) => p);
    expect(identities('b')).toEqual(identities('a'));
    expect(query.processes('b').map((p) => p.pid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const mmu = sim.get(MmuQuery);
    for (const pid of [1, 2, 3, 4, 6]) {
      const [a, b] = ['a', 'b'].map((d) => query.process(d, pid)!.space);
      expect(mmu.read(b!, PROCESS_VA, 8192)).toEqual(mmu.read(a!, PROCESS_VA, 8192));
    }
    const stored = SqliteStore.open(file, { readonly: true });
    const records = [...stored.read(1)];
    stored.close();
    const migrations = records.filter((r) => r.type === 'proc.process.migrated');
    expect(migrations).toMatchObject([
      { data: { pid: 7, mode: 'remap', bytesCopied: 0, framesRemapped: 64 } },
      { data: { pid: 8, mode: 'copy', bytesCopied: 64 * 4096, framesRemapped: 0 } },
      { data: { pid: 9, mode: 'remap', bytesCopied: 0 } },
    ]);
    const refused = records.find(
      (r) => r.kind === 'command' && r.type === 'proc.migrate' && r.rejection,
    );
    expect(refused?.kind === 'command' && refused.rejection?.message).toMatch(
      /pinned by I\/O in flight/,
    );
    for (const pid of [7, 8, 9])
      expect(mmu.read(query.process('b', pid)!.space, PROCESS_VA, 4)).toEqual(
        new Uint8Array(4).fill(pid),
      );
  });

  it('replays to the same digests, re-executes identically, and seeks through the run', () => {
    const { file, sim } = record();
    const run = SqliteStore.open(file, { readonly: true });
    expect(replayState(run, plugins(), { seed: 1 })).toMatchObject({
      ok: true,
      finalDigest: sim.digest(),
    });
    expect(reexecute(run, plugins(), { seed: 1 }).identical).toBe(true);
    // A slower page-table update costs a remap more: the log parts at the first migration.
    const slower = reexecute(run, plugins({ remapMicros: 2 }), { seed: 1 });
    expect(slower.divergence!.recorded).toMatchObject({
      type: 'proc.process.migrated',
      data: { mode: 'remap' },
    });
    const timeline = new Timeline(run, plugins(), { seed: 1, snapshotEvery: 100 });
    const records = [...run.read(1)];
    const command = records.find((r) => r.type === 'proc.restore')!.seq;
    const restoredAt = records.find((r) => r.type === 'proc.tree.restored')!.seq;
    timeline.seek(command - 1);
    expect(timeline.get(ProcQuery).processes('b')).toEqual([]);
    timeline.seek(restoredAt);
    expect(timeline.get(ProcQuery).processes('b')).toHaveLength(6);
    timeline.seek(timeline.head);
    expect(timeline.projectionDigests()).toEqual(sim.projectionDigests());
    run.close();
  });
});
