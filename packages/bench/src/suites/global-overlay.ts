import { NullStore, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { globalOverlayPlugin, load, read } from '@chronovisor/plugin-global-overlay';
import { figure, type Figure } from '../figure';
import { measureRate, timed } from '../measure';

const GLOBALS = 10_000;
const ACCESSES = 50_000;

function machine() {
  const sim = new Simulation({
    plugins: [mmu.mmuPlugin({ frames: 16_384 }), globalOverlayPlugin()],
    seed: 1,
    store: new NullStore(),
  });
  sim.dispatch(mmu.createPartition, { name: 'app', frames: 16_000 });
  return sim;
}

const globals = (version: number) =>
  Array.from({ length: GLOBALS }, (_, i) => ({
    name: `g${i}`,
    type: i % 3 === 0 ? 'long' : 'int',
    size: i % 3 === 0 ? 8 : 4,
    align: i % 3 === 0 ? 8 : 4,
    initial: Uint8Array.of(i & 0xff, version),
  }));

/**
 * Loading a version of 10,000 globals through the overlay beside a loader without one (its pages
 * mapped and every initial value written straight into its process), then the second version
 * (all common) beside the first; and reads of a global through the overlay beside the same read
 * made directly through the MMU.
 */
export function globalOverlaySuite(): Figure[] {
  const sim = machine();
  const first = timed(() =>
    sim.dispatch(load, { program: 'p', version: 'v1', partition: 'app', globals: globals(1) }),
  );
  if (!first.result.ok) throw new Error(first.result.rejection!.message);
  const second = timed(() =>
    sim.dispatch(load, { program: 'p', version: 'v2', partition: 'app', globals: globals(2) }),
  );
  if (!second.result.ok) throw new Error(second.result.rejection!.message);
  const direct = timed(() => {
    const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'app' }).value!;
    sim.dispatch(mmu.map, { space, va: 0, pages: 64 });
    let at = 0;
    for (const g of globals(1)) {
      at = Math.ceil(at / g.align) * g.align;
      sim.dispatch(mmu.write, { space, va: at, data: g.initial });
      at += g.size;
    }
  });
  const { space, base } = first.result.value!;
  const through = measureRate({
    items: ACCESSES,
    setup: () => undefined,
    round: () => {
      for (let i = 0; i < ACCESSES; i++)
        sim.dispatch(read, { program: 'p', version: 'v1', global: `g${i % GLOBALS}` });
    },
  });
  const plain = measureRate({
    items: ACCESSES,
    setup: () => undefined,
    round: () => {
      for (let i = 0; i < ACCESSES; i++)
        sim.dispatch(mmu.read, { space, va: base + (i % 4096) * 4, length: 4 });
    },
  });
  return [
    figure({
      suite: 'global-overlay',
      name: `load of a first version with ${GLOBALS.toLocaleString('en-US')} globals`,
      value: first.seconds * 1000,
      unit: 'ms',
      lowerIsBetter: true,
      baseline: {
        name: 'the same globals written into a process without an overlay',
        value: direct.seconds * 1000,
      },
      detail: `a second version, every global common: ${(second.seconds * 1000).toFixed(1)} ms (bound, nothing written)`,
    }),
    figure({
      suite: 'global-overlay',
      name: 'reads of a global through the overlay (recorded commands)',
      value: through.perSecond,
      unit: 'reads/s',
      baseline: { name: 'the same reads straight through the MMU', value: plain.perSecond },
    }),
  ];
}
