import { Simulation, Xoshiro128StarStar, type Store } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';

/** The plugin set the tests' runs are recorded with (and replayed with). */
export const plugins = [mmu.mmuPlugin({ frames: 1024 })];

/** A mixed MMU workload: mapping, then random reads and writes, some faulting; digests on the way. */
export function recordWorkload(store: Store, commands: number, seed = 1): void {
  const sim = new Simulation({ plugins, seed, store, digestInterval: 1000 });
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 1024 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: 64 });
  const rng = new Xoshiro128StarStar(seed);
  const data = new Uint8Array(8);
  for (let i = 3; i < commands; i++) {
    const va = rng.nextInt(0, 71) * 4096 + rng.nextInt(0, 511) * 8;
    if (i & 1) {
      data[0] = i;
      sim.dispatch(mmu.write, { space, va, data });
    } else sim.dispatch(mmu.read, { space, va, length: 8 });
  }
  sim.close();
}
