import { Simulation } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import {
  LeverageQuery,
  fateDifferences,
  guestLeveragePlugin,
} from '@chronovisor/plugin-guest-leverage';
import { reexecute, replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import guestFilter, { replayCapture } from './scenario';

const plugins = () => [mmuPlugin({ frames: 2048 }), guestLeveragePlugin()];

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-filter-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(): { file: string; sim: Simulation } {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file, { manifest: { seed: 1 } });
  const sim = new Simulation({ plugins: plugins(), seed: 1, store, digestInterval: 40 });
  guestFilter(sim);
  sim.close();
  store.close();
  return { file, sim };
}

describe('the guest filter example', () => {
  it('drops the packets that carry "attack" and returns the rest, every one accounted for', () => {
    const { sim } = record();
    const [chain] = sim.get(LeverageQuery).chains();
    // Packets 2, 6, 8 and 9 say "attack" in the clear; 7 only once inflated, which this chain does not do.
    expect(chain).toMatchObject({
      balanced: true,
      inRing: 0,
      waiting: 0,
      counts: { received: 12, dropped: 4, returned: 8 },
    });
    expect(chain!.counts.held).toBeGreaterThan(0); // the guest fell behind: back-pressure
  });

  it('tells, packet by packet, what a chain that inflates first would do differently', () => {
    const recorded = new Simulation({ plugins: plugins(), seed: 1 });
    guestFilter(recorded);
    const inflating = new Simulation({ plugins: plugins(), seed: 1 });
    replayCapture(inflating, [
      { kind: 'decompress', microsPerKiB: 20, maxBytes: 1 << 20 },
      { kind: 'filter', pattern: 'attack', action: 'drop', microsPerKiB: 5 },
    ]);
    // The decompressor crashes on every packet that is not DEFLATE, and the path fails open: those
    // go back unfiltered; the deflated attack (packet 7, item 8) is caught.
    expect(fateDifferences(recorded.store.read(1), inflating.store.read(1))).toEqual([
      { item: 3, recorded: 'dropped', reexecuted: 'returned' },
      { item: 7, recorded: 'dropped', reexecuted: 'returned' },
      { item: 8, recorded: 'returned', reexecuted: 'dropped' },
      { item: 9, recorded: 'dropped', reexecuted: 'returned' },
      { item: 10, recorded: 'dropped', reexecuted: 'returned' },
    ]);
  });

  it('replays to the same digests, re-executes identically, and seeks through the run', () => {
    const { file, sim } = record();
    const run = SqliteStore.open(file, { readonly: true });
    expect(replayState(run, plugins(), { seed: 1 })).toMatchObject({
      ok: true,
      finalDigest: sim.digest(),
    });
    expect(reexecute(run, plugins(), { seed: 1 }).identical).toBe(true);
    const small = reexecute(
      run,
      [mmuPlugin({ frames: 2048, tlb: { entries: 1, policy: 'fifo' } }), guestLeveragePlugin()],
      { seed: 1 },
    );
    expect(small.identical).toBe(false);
    const timeline = new Timeline(run, plugins(), { seed: 1, snapshotEvery: 25 });
    const settled = [...run.readEvents(1)].filter((r) => r.type === 'leverage.item.settled');
    const at = (seq: number) => {
      timeline.seek(seq);
      const c = timeline.get(LeverageQuery).chains()[0]!.counts;
      return c.returned + c.dropped + c.consumed;
    };
    expect(settled.map((r) => at(r.seq))).toEqual(settled.map((_, i) => i + 1));
    timeline.seek(timeline.head);
    expect(timeline.projectionDigests()).toEqual(sim.projectionDigests());
    run.close();
  });
});
