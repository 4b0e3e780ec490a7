import {
  MemoryStore,
  NullStore,
  Simulation,
  Xoshiro128StarStar,
  type DataOf,
  type EventRecord,
  type Store,
} from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  ProcQuery,
  checkpoint,
  checkpointPlugin,
  createDomain,
  fork,
  migrate,
  restore,
  spawn,
  type processMigrated,
} from '@chronovisor/plugin-checkpoint';
import { figure, type Figure } from '../figure';
import { timed } from '../measure';

const PAGE = 4096;
/** What `proc.process.migrated` records. */
type MigratedData = DataOf<typeof processMigrated>;
const VA = 0x40_0000;

function machine(store: Store = new NullStore()) {
  const sim = new Simulation({
    plugins: [mmu.mmuPlugin({ frames: 65_536 }), checkpointPlugin()],
    seed: 1,
    store,
  });
  sim.dispatch(mmu.createPartition, { name: 'a', frames: 32_000 });
  sim.dispatch(mmu.createPartition, { name: 'b', frames: 32_000 });
  sim.dispatch(createDomain, { name: 'a', partition: 'a' });
  sim.dispatch(createDomain, { name: 'b', partition: 'b' });
  return sim;
}

/** A tree of `n` processes: a root with 16 pages, the rest forked from random earlier ones, each writing a page of its own. */
function buildTree(sim: Simulation, n: number): number {
  const query = sim.get(ProcQuery);
  const rng = new Xoshiro128StarStar(n);
  const root = sim.dispatch(spawn, { domain: 'a', pages: 16, session: true }).value!;
  const pids = [root];
  const page = new Uint8Array(PAGE);
  for (let i = 1; i < n; i++)
    pids.push(
      sim.dispatch(fork, { domain: 'a', pid: pids[rng.nextInt(0, pids.length - 1)]! }).value!,
    );
  for (const pid of pids) {
    page.fill(pid & 0xff);
    sim.dispatch(mmu.write, {
      space: query.process('a', pid)!.space,
      va: VA + (pid % 16) * PAGE,
      data: page,
    });
  }
  return root;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

/** Checkpoint and restore of trees of 1, 16 and 256 processes, each beside building the same tree. */
function treeFigures(): Figure[] {
  return [1, 16, 256].flatMap((n) => {
    const build: number[] = [];
    const dump: number[] = [];
    const back: number[] = [];
    let frames = 0;
    for (let round = 0; round < 4; round++) {
      const sim = machine();
      const built = timed(() => buildTree(sim, n));
      const root = built.result;
      const checkpointed = timed(() =>
        sim.dispatch(checkpoint, { domain: 'a', root, name: 'tree' }),
      );
      if (!checkpointed.result.ok) throw new Error(checkpointed.result.rejection!.message);
      const restored = timed(() => sim.dispatch(restore, { image: 'tree', domain: 'b' }));
      if (!restored.result.ok) throw new Error(restored.result.rejection!.message);
      frames = sim.get(ProcQuery).stats().images[0]!.frames;
      if (round > 0) {
        build.push(built.seconds * 1000);
        dump.push(checkpointed.seconds * 1000);
        back.push(restored.seconds * 1000);
      }
    }
    const baseline = {
      name: 'building the same tree (spawn, forks, writes)',
      value: median(build),
    };
    const detail = `${n} processes × 16 pages, copy-on-write: ${frames} frames stored`;
    return [
      figure({
        suite: 'checkpoint',
        name: `tree of ${n}: checkpoint`,
        value: median(dump),
        unit: 'ms',
        lowerIsBetter: true,
        baseline,
        detail,
      }),
      figure({
        suite: 'checkpoint',
        name: `tree of ${n}: restore (staged, invariants checked)`,
        value: median(back),
        unit: 'ms',
        lowerIsBetter: true,
        baseline,
        detail,
      }),
    ];
  });
}

/** Migration of a 4 MiB process by remap beside by copy: simulated time, bytes copied, wall time. */
function migrationFigures(): Figure[] {
  const store = new MemoryStore();
  const sim = machine(store);
  const query = sim.get(ProcQuery);
  const pids = [0, 1].map(
    () => sim.dispatch(spawn, { domain: 'a', pages: 1024, session: true }).value!,
  );
  for (const pid of pids)
    sim.dispatch(mmu.write, {
      space: query.process('a', pid)!.space,
      va: VA,
      data: new Uint8Array(1 << 20).fill(pid),
    });
  const wall = (['remap', 'copy'] as const).map((mode, i) => {
    const moved = timed(() => sim.dispatch(migrate, { domain: 'a', pid: pids[i]!, to: 'b', mode }));
    if (!moved.result.ok) throw new Error(moved.result.rejection!.message);
    return moved.seconds * 1000;
  });
  const [remapped, copied] = [...store.read(1)]
    .filter(
      (r): r is EventRecord<MigratedData> =>
        r.kind === 'event' && r.type === 'proc.process.migrated',
    )
    .map((r) => r.data);
  return [
    figure({
      suite: 'checkpoint',
      name: 'migration of a 4 MiB process by remap: simulated time',
      value: remapped!.micros,
      unit: 'µs',
      lowerIsBetter: true,
      baseline: { name: 'by copy', value: copied!.micros },
      detail:
        `remap: ${remapped!.framesRemapped} frames moved, ${remapped!.bytesCopied} bytes copied; ` +
        `copy: ${copied!.bytesCopied.toLocaleString('en-US')} bytes copied; wall ${wall[0]!.toFixed(1)} ms vs ${wall[1]!.toFixed(1)} ms`,
    }),
  ];
}

/**
 * Checkpoint and restore of process trees of 1, 16 and 256 processes beside building them, and
 * migration by remap beside by copy.
 */
export function checkpointSuite(): Figure[] {
  return [...treeFigures(), ...migrationFigures()];
}
