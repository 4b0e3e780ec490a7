import { Simulation } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { HandlesQuery, handlesPlugin, type HandlesOptions } from '@chronovisor/plugin-handles';
import { reexecute, replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import handleTableGrowth from './scenario';

/** The example's plugin set, from its chronovisor.config.json, with `handles` options changed. */
function plugins(handles: Partial<HandlesOptions> = {}) {
  const config = JSON.parse(
    readFileSync(path.join(__dirname, '../chronovisor.config.json'), 'utf8'),
  ) as { plugins: { options: object }[] };
  const [mmu, table] = config.plugins;
  return [mmuPlugin(mmu!.options), handlesPlugin({ ...table!.options, ...handles })];
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-handles-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Records the example into a SQLite run file; returns the file and the live simulation. */
function record(): { file: string; sim: Simulation } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, { manifest: { seed: 1 } });
  const sim = new Simulation({ plugins: plugins(), seed: 1, store, digestInterval: 50 });
  handleTableGrowth(sim);
  sim.close();
  store.close();
  return { file, sim };
}

describe('the handle table growth example', () => {
  it('grows to three levels, every resolve answering, and refuses the handle kept after its close', () => {
    const { file, sim } = record();
    const query = sim.get(HandlesQuery);
    const [table] = query.tables();
    expect(table).toMatchObject({ levels: 3, tables: { leaf: 6, mid: 2, top: 1 }, open: 21 });
    const run = SqliteStore.open(file, { readonly: true });
    const records = [...run.read(1)];
    run.close();
    const published = records.filter((r) => r.type === 'handles.code.published');
    expect(published.map((r) => (r.kind === 'event' ? r.data : undefined))).toMatchObject([
      { levels: 1 },
      { levels: 2 },
      { levels: 3 },
    ]);
    const refused = records.filter((r) => r.type === 'handles.handle.rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ data: { reason: 'stale', op: 'resolve' } });
    expect(query.stats().rejections).toEqual({ stale: 1 });
  });

  it('replays to the same digests, re-executes identically, and seeks through the run', () => {
    const { file, sim } = record();
    const run = SqliteStore.open(file, { readonly: true });
    const replayed = replayState(run, plugins(), { seed: 1 });
    expect(replayed).toMatchObject({ ok: true, finalDigest: sim.digest() });
    expect(replayed.digestsChecked).toBeGreaterThan(3);
    expect(reexecute(run, plugins(), { seed: 1 }).identical).toBe(true);
    // FIFO reuse gives the late file another slot: the runs part at its creation.
    const fifo = reexecute(run, plugins({ reuse: 'fifo' }), { seed: 1 });
    expect(fifo.identical).toBe(false);
    expect(fifo.divergence!.recorded).toMatchObject({ type: 'handles.handle.created' });

    const timeline = new Timeline(run, plugins(), { seed: 1, snapshotEvery: 40 });
    const levelsAt = (seq: number): number => {
      timeline.seek(seq);
      return timeline.get(HandlesQuery).table(1)?.levels ?? 0;
    };
    const publishes = [...run.read(1)].filter((r) => r.type === 'handles.code.published');
    expect(publishes.map((r) => levelsAt(r.seq - 1))).toEqual([0, 1, 2]);
    expect(publishes.map((r) => levelsAt(r.seq))).toEqual([1, 2, 3]);
    timeline.seek(timeline.head);
    expect(timeline.projectionDigests()).toEqual(sim.projectionDigests());
    expect(timeline.digest()).toBe(sim.digest());
    run.close();
  });
});
