import { NullStore, Simulation, Xoshiro128StarStar, type Store } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  HandlesQuery,
  close,
  create,
  exploreInterleavings,
  handlesPlugin,
  resolve,
  type InterleavingOptions,
} from '@chronovisor/plugin-handles';
import { SqliteStore } from '@chronovisor/store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { figure, type Figure } from '../figure';
import { measureRate, timed } from '../measure';

/** Handles that make a table of 1, 2 and 3 levels with the default tables (256 entries, 512 pointers). */
const SIZES: readonly [levels: number, handles: number][] = [
  [1, 200],
  [2, 100_000],
  [3, 200_000],
];
const LOOKUPS = 2_000_000;
const RECORDED = 500_000;

/** A machine with one process, its table holding `handles` handles; not recorded. */
function machine(handles: number, store: Store = new NullStore()) {
  const sim = new Simulation({
    plugins: [mmu.mmuPlugin({ frames: 4096 }), handlesPlugin()],
    seed: 1,
    store,
  });
  sim.dispatch(mmu.createPartition, { name: 'proc', frames: 4096 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'proc' }).value!;
  const values: number[] = [];
  for (let i = 0; i < handles; i++)
    values.push(sim.dispatch(create, { space, type: 'file' }).value!);
  return { sim, space, values };
}

/** Handles to look up: drawn at random from the open ones, the same for the table and the Map. */
function picks(values: readonly number[]): Float64Array {
  const rng = new Xoshiro128StarStar(7);
  const out = new Float64Array(LOOKUPS);
  for (let i = 0; i < LOOKUPS; i++) out[i] = values[rng.nextInt(0, values.length - 1)]!;
  return out;
}

/** Resolutions through the query at each depth, beside a Map from handle to object. */
function lookupFigures(): Figure[] {
  return SIZES.map(([levels, handles]) => {
    const { sim, space, values } = machine(handles);
    const query = sim.get(HandlesQuery);
    if (query.table(space)!.levels !== levels) throw new Error(`expected ${levels} levels`);
    const keys = picks(values);
    const map = new Map<number, number>(values.map((h) => [h, query.lookup(space, h)]));
    let sink = 0;
    const table = measureRate({
      items: LOOKUPS,
      setup: () => undefined,
      round: () => {
        for (let i = 0; i < LOOKUPS; i++) sink += query.lookup(space, keys[i]!);
      },
    });
    const baseline = measureRate({
      items: LOOKUPS,
      setup: () => undefined,
      round: () => {
        for (let i = 0; i < LOOKUPS; i++) sink += map.get(keys[i]!)!;
      },
    });
    if (sink === 0) throw new Error('nothing was looked up');
    return figure({
      suite: 'handles',
      name: `${levels}-level table (${handles.toLocaleString('en-US')} handles): resolutions/s through the query`,
      value: table.perSecond,
      unit: 'lookups/s',
      baseline: { name: 'Map.get of handle → object', value: baseline.perSecond },
      aim: {
        text: '≥ 5,000,000/s and within 5× of the Map',
        met: table.perSecond >= 5_000_000 && baseline.perSecond / table.perSecond <= 5,
      },
    });
  });
}

/** Recorded resolve commands and creations into SQLite, beside the same not recorded. */
function recordedFigures(): Figure[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-bench-handles-'));
  const resolves = (store: Store) => {
    const { sim, space, values } = machine(1000, store);
    const rng = new Xoshiro128StarStar(3);
    const keys = Array.from({ length: RECORDED }, () => values[rng.nextInt(0, values.length - 1)]!);
    const run = timed(() => {
      for (const handle of keys) sim.dispatch(resolve, { space, handle });
      sim.close();
    });
    return RECORDED / run.seconds;
  };
  // Creations alone: the table grows to 500,000 handles, three levels, mapping a page per 256.
  const creations = (store: Store) => {
    const { sim, space } = machine(0, store);
    const run = timed(() => {
      for (let i = 0; i < RECORDED; i++) sim.dispatch(create, { space, type: 'file' });
      sim.close();
    });
    return RECORDED / run.seconds;
  };
  // A churning program, counting creates and closes: every other handle made is closed, so the
  // table both grows and reuses slots.
  const churn = (store: Store) => {
    const { sim, space } = machine(0, store);
    let ops = 0;
    const run = timed(() => {
      let last = 0;
      for (let i = 0; i < RECORDED; i++) {
        const handle = sim.dispatch(create, { space, type: 'file' }).value!;
        ops++;
        if (i & 1) {
          sim.dispatch(close, { space, handle: last });
          ops++;
        }
        last = handle;
      }
      sim.close();
    });
    return ops / run.seconds;
  };
  try {
    const sqlite = (name: string) => SqliteStore.create(path.join(dir, `${name}.db`));
    resolves(new NullStore()); // warm-up
    const figures: Figure[] = [];
    for (const [what, work] of [
      ['resolve commands', resolves],
      ['creations', creations],
      ['creates and closes (a close after every other create)', churn],
    ] as const) {
      const limit = work(new NullStore());
      const store = sqlite(`${figures.length}`);
      const recorded = work(store);
      store.close();
      figures.push(
        figure({
          suite: 'handles',
          name: `${what}/s recorded into SQLite (${RECORDED.toLocaleString('en-US')} creates or resolves)`,
          value: recorded,
          unit: 'ops/s',
          baseline: { name: 'the same, not recorded (NullStore)', value: limit },
          aim: { text: '≥ 500,000/s recorded', met: recorded >= 500_000 },
        }),
      );
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The interleaving checker on the real table growing from 2 to 3 levels while a handle is closed
 * and its slot reused (every interleaving, by preemption bound), beside the same scenario's
 * seeded random schedules, each run from the start; and how fast it finds the broken variant's
 * torn table code.
 */
function checkerFigures(): Figure[] {
  const scenario: InterleavingOptions = {
    variant: 'atomic',
    initialHandles: 3,
    creates: 1,
    churn: true,
  };
  exploreInterleavings({ ...scenario, maxInterleavings: 50_000 }); // warm-up
  const exhaustive = timed(() => exploreInterleavings(scenario));
  const random = timed(() =>
    exploreInterleavings({ ...scenario, mode: 'random', schedules: 200_000, seed: 1 }),
  );
  const broken = timed(() => exploreInterleavings({ ...scenario, variant: 'split-code' }));
  const { interleavings, complete, violation } = exhaustive.result;
  if (!complete || violation) throw new Error('the checker did not pass the real table');
  if (broken.result.violation?.kind !== 'torn-table-code')
    throw new Error('the checker missed the split table code');
  return [
    figure({
      suite: 'handles',
      name: `interleaving checker: interleavings/s, every one of ${interleavings.toLocaleString('en-US')} (2→3 levels, a close and reuse, 2 resolvers)`,
      value: interleavings / exhaustive.seconds,
      unit: 'interleavings/s',
      baseline: {
        name: 'seeded random schedules of the same, each from the start',
        value: random.result.interleavings / random.seconds,
      },
      detail: `split table code caught in ${(broken.seconds * 1000).toFixed(1)} ms: ${broken.result.violation.schedule.length} steps, ${broken.result.violation.preemptions} preemption`,
    }),
  ];
}

/**
 * The handle tables: resolutions through the query at 1, 2 and 3 levels beside a Map, recorded
 * resolves and creations into SQLite beside the same not recorded, and the interleaving checker.
 */
export function handlesSuite(): Figure[] {
  return [...lookupFigures(), ...recordedFigures(), ...checkerFigures()];
}
