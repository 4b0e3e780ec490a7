// A scenario for the sweep tests: it maps and writes a few pages. The cell of seed 2, run for the
// first time, writes its process id to $CHRONOVISOR_TEST_HANG and then hangs, as a worker that
// dies mid-cell would look, until the test kills it.
const { existsSync, writeFileSync } = require('node:fs');
const mmu = require('@chronovisor/mmu');

module.exports = (sim, { seed }) => {
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 64 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value;
  for (let page = 0; page < 8 + seed; page++) {
    sim.dispatch(mmu.map, { space, va: page * 4096, pages: 1, perms: 'rw-' });
    sim.dispatch(mmu.write, { space, va: page * 4096, data: Uint8Array.of(seed, page) });
  }
  const hang = process.env.CHRONOVISOR_TEST_HANG;
  if (hang && seed === 2 && !existsSync(hang)) {
    writeFileSync(hang, String(process.pid));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  }
};
