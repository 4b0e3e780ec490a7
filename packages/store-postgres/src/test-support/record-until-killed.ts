// Run by the crash test as a child process: records a workload into a new run in PostgreSQL and
// reports its progress (its run id first) on stdout, until the parent kills it. Never closes.
import { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { PostgresStore } from '../postgres-store';

const store = PostgresStore.create(process.argv[2]!, { name: 'killed' });
process.stdout.write(`run ${store.run}\n`);
const sim = new Simulation({
  plugins: [mmu.mmuPlugin({ frames: 256 })],
  seed: 7,
  store,
  digestInterval: 500,
});
sim.dispatch(mmu.createPartition, { name: 'host', frames: 256 });
const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value!;
sim.dispatch(mmu.map, { space, va: 0, pages: 16 });
const data = new Uint8Array(8);
for (let i = 0; ; i++) {
  data[0] = i & 0xff;
  sim.dispatch(mmu.write, { space, va: (i % (16 * 512)) * 8, data });
  if (i % 500 === 0) process.stdout.write(`${store.head()}\n`);
}
