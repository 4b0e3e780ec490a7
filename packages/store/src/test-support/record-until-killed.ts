// Run by the crash test as a child process: records a workload into a new run file and reports
// its progress on stdout, until the parent kills it. Never closes the store on purpose.
import { Simulation, Xoshiro128StarStar } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { SqliteStore } from '../sqlite/sqlite-store';
import * as mmu from '@chronovisor/mmu';

const store = SqliteStore.create(process.argv[2]!);
const sim = new Simulation({
  plugins: [mmuPlugin({ frames: 256 })],
  seed: 7,
  store,
  digestInterval: 500,
});
sim.dispatch(mmu.createPartition, { name: 'host', frames: 256 });
const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
sim.dispatch(mmu.map, { space, va: 0, pages: 16 });
const rng = new Xoshiro128StarStar(7);
const data = new Uint8Array(8);
for (let i = 0; ; i++) {
  data[0] = i & 0xff;
  sim.dispatch(mmu.write, { space, va: rng.nextInt(0, 16 * 512 - 1) * 8, data });
  if (i % 500 === 0) process.stdout.write(`${store.head()}\n`);
}
