import { Simulation, type EventRecord } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { OverlayQuery, globalOverlayPlugin } from '@chronovisor/plugin-global-overlay';
import { reexecute, replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import liveUpdate from './scenario';

const plugins = (frames = 1024) => [mmuPlugin({ frames }), globalOverlayPlugin()];

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-live-update-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(): { file: string; sim: Simulation; events: EventRecord[] } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, { manifest: { seed: 1 } });
  const sim = new Simulation({ plugins: plugins(), seed: 1, store, digestInterval: 10 });
  liveUpdate(sim);
  sim.close();
  store.close();
  const reopened = SqliteStore.open(file, { readonly: true });
  const events = [...reopened.readEvents(1)];
  reopened.close();
  return { file, sim, events };
}

describe('the live update example', () => {
  it('runs v1 and v2 over shared globals, transforms the grown one, and rolls v3 back reporting what it changed', () => {
    const { sim, events } = record();
    const loaded = events
      .filter((e) => e.type === 'overlay.version.loaded')
      .map((e) => e.data as { version: string; globals: { name: string; binding: string }[] });
    const v2 = Object.fromEntries(loaded[1]!.globals.map((g) => [g.name, g.binding]));
    expect(v2).toMatchObject({
      counter: 'common',
      total: 'common',
      ratio: 'common',
      name: 'transformed',
      errors: 'added',
      counter_wide: 'added',
    });
    const reads = events.filter((e) => e.type === 'mmu.memory.read').length;
    expect(reads).toBeGreaterThan(0);
    const retired = events.filter((e) => e.type === 'overlay.version.retired').map((e) => e.data);
    expect(retired).toEqual([
      // Retiring v1: counter, which v2 shares, was written since v1 loaded (by v1 itself).
      { program: 'kv', version: 'v1', freed: ['name'], changed: ['counter'] },
      { program: 'kv', version: 'v3', freed: [], changed: ['counter'] },
    ]);
    const [kv] = sim.get(OverlayQuery).programs();
    expect(kv!.versions.map((v) => v.version)).toEqual(['v2']);
    expect(kv!.freeBytes).toBe(16); // v1's 16-byte name, no version uses it any more
  });

  it('replays to the same digests, re-executes identically, and seeks through the run', () => {
    const { file, sim } = record();
    const run = SqliteStore.open(file, { readonly: true });
    expect(replayState(run, plugins(), { seed: 1 })).toMatchObject({
      ok: true,
      finalDigest: sim.digest(),
    });
    expect(reexecute(run, plugins(), { seed: 1 }).identical).toBe(true);
    // Version segments placed elsewhere: the first divergence is the first version's mapping.
    const elsewhere = reexecute(
      run,
      [mmuPlugin({ frames: 1024 }), globalOverlayPlugin({ versionBase: 0x7000_0000 })],
      { seed: 1 },
    );
    expect(elsewhere.divergence!.recorded).toMatchObject({ type: 'mmu.pages.shared' });
    const timeline = new Timeline(run, plugins(), { seed: 1, snapshotEvery: 10 });
    const loads = [...run.readEvents(1)].filter((e) => e.type === 'overlay.version.loaded');
    const live = (seq: number) => {
      timeline.seek(seq);
      return (
        timeline
          .get(OverlayQuery)
          .programs()[0]
          ?.versions.map((v) => v.version) ?? []
      );
    };
    expect(loads.map((e) => live(e.seq))).toEqual([['v1'], ['v1', 'v2'], ['v2', 'v3']]);
    timeline.seek(timeline.head);
    expect(timeline.projectionDigests()).toEqual(sim.projectionDigests());
    run.close();
  });
});
