import { Simulation, Xoshiro128StarStar, type Store } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import * as mmu from '@chronovisor/mmu';

/**
 * A mixed MMU workload for store tests: partitions, spaces, mappings, then random reads, writes,
 * faults and an occasional fork, `commands` commands in all. Same seed, same records.
 */
export function runWorkload(store: Store, commands: number, seed = 1): Simulation {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 1024 })],
    seed,
    store,
    digestInterval: 1000,
  });
  const rng = new Xoshiro128StarStar(seed);
  sim.dispatch(mmu.createPartition, { name: 'host', frames: 1024 });
  const spaces = [sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!];
  sim.dispatch(mmu.map, { space: spaces[0]!, va: 0, pages: 64 });
  const data = new Uint8Array(8);
  for (let i = 3; i < commands; i++) {
    const space = spaces[rng.nextInt(0, spaces.length - 1)]!;
    const va = rng.nextInt(0, 71) * 4096 + rng.nextInt(0, 511) * 8; // a few pages past the mapping: faults
    const roll = rng.nextInt(0, 99);
    if (roll < 45) sim.dispatch(mmu.read, { space, va, length: 8 });
    else if (roll < 98) {
      data[0] = i & 0xff;
      sim.dispatch(mmu.write, { space, va, data });
    } else if (spaces.length < 4) spaces.push(sim.dispatch(mmu.fork, { space }).value!);
    else sim.dispatch(mmu.flush, { space });
  }
  return sim;
}
