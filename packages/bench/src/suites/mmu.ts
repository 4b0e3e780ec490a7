import {
  MemoryStore,
  NullStore,
  Simulation,
  Xoshiro128StarStar,
  type Store,
} from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { figure, type Figure } from '../figure';
import { measureRate } from '../measure';
import * as mmu from '@chronovisor/mmu';

const FRAMES = 16_384; // 64 MiB of 4 KiB pages
const BYTES = FRAMES * 4096;
const ACCESSES = 200_000;

/** Random 8-byte-aligned addresses over the whole 64 MiB, half of them writes. */
function workload(
  seed: number,
  hotPages?: number,
): { addresses: Float64Array; writes: Uint8Array } {
  const rng = new Xoshiro128StarStar(seed);
  const addresses = new Float64Array(ACCESSES);
  const writes = new Uint8Array(ACCESSES);
  for (let i = 0; i < ACCESSES; i++) {
    const page =
      hotPages === undefined ? rng.nextInt(0, FRAMES - 1) : rng.nextInt(0, hotPages - 1) * 97;
    addresses[i] = page * 4096 + rng.nextInt(0, 511) * 8;
    writes[i] = rng.nextUint32() & 1;
  }
  return { addresses, writes };
}

/** A machine with all 64 MiB mapped into one host space. */
function machine(store: () => Store): () => { sim: Simulation; space: number } {
  return () => {
    const sim = new Simulation({
      plugins: [mmuPlugin({ frames: FRAMES })],
      seed: 1,
      store: store(),
    });
    sim.dispatch(mmu.createPartition, { name: 'host', frames: FRAMES });
    const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
    sim.dispatch(mmu.map, { space, va: 0, pages: FRAMES });
    return { sim, space };
  };
}

/** The accesses as a scenario makes them: through `MemoryClient`, each a checked `mmu.read` or `mmu.write`. */
function recorded(setup: () => { sim: Simulation; space: number }, w: ReturnType<typeof workload>) {
  const data = new Uint8Array(8);
  return measureRate({
    items: ACCESSES,
    rounds: 3,
    setup,
    round: ({ sim, space }) => {
      const memory = new mmu.MemoryClient(sim);
      for (let i = 0; i < ACCESSES; i++) {
        const va = w.addresses[i]!;
        if (w.writes[i]) {
          data[0] = i;
          memory.write(space, va, data);
        } else memory.read(space, va, 8);
      }
    },
  });
}

/**
 * Recorded 8-byte loads and stores through translation and the TLB, against the same accesses
 * made directly on a typed array: the cost of simulating (and recording) each access.
 */
export function mmuSuite(): Figure[] {
  const random = workload(7);
  // The baseline: the same loads and stores on a plain 64 MiB typed array (8-byte words).
  const direct = measureRate({
    items: ACCESSES,
    setup: () => new Float64Array(BYTES / 8),
    round: (words) => {
      let sum = 0;
      for (let i = 0; i < ACCESSES; i++) {
        const at = random.addresses[i]! / 8;
        if (random.writes[i]) words[at] = i;
        else sum += words[at]!;
      }
      if (sum === -1) console.log(sum); // keeps the loads from being optimized away
    },
  });
  const simulated = recorded(
    machine(() => new NullStore()),
    random,
  );
  const kept = recorded(
    machine(() => new MemoryStore()),
    random,
  );
  const local = recorded(
    machine(() => new NullStore()),
    workload(7, 48),
  );

  return [
    figure({
      suite: 'mmu',
      name: 'random 8-byte reads/writes over 64 MiB through MemoryClient (translation + TLB)',
      value: simulated.perSecond,
      unit: 'accesses/s',
      baseline: { name: 'direct Float64Array access', value: direct.perSecond },
      aim: {
        text: '≥ 1,000,000 accesses/s with the NullStore',
        met: simulated.perSecond >= 1_000_000,
      },
      detail:
        'before Plugin API 2: 331,810 accesses/s (dispatched directly, not through MemoryClient)',
    }),
    figure({
      suite: 'mmu',
      name: 'same, records kept in a MemoryStore',
      value: kept.perSecond,
      unit: 'accesses/s',
      baseline: { name: 'NullStore', value: simulated.perSecond },
    }),
    figure({
      suite: 'mmu',
      name: 'hot set of 48 pages (TLB mostly hits)',
      value: local.perSecond,
      unit: 'accesses/s',
      baseline: { name: 'random over 64 MiB', value: simulated.perSecond },
    }),
  ];
}
