import { MemoryStore, NullStore, Simulation, type Store } from '@chronovisor/core';
import { counterPlugin, incremented, increment } from '@chronovisor/example-counter';
import { figure, type Figure } from '../figure';
import { measureRate } from '../measure';
import { tick, tickPlugin } from './tick-plugin';

const COMMANDS = 200_000;
const NAMES = Array.from({ length: 64 }, (_, i) => `counter-${i}`);

/** Dispatches COMMANDS increments, cycling over 64 counters. */
function increments(sim: Simulation): void {
  for (let i = 0; i < COMMANDS; i++) sim.dispatch(increment, { name: NAMES[i & 63]!, by: 1 });
}

function simulation(store: Store, observe = false, freezeRecords = false): Simulation {
  const sim = new Simulation({ plugins: [counterPlugin()], seed: 1, store, freezeRecords });
  if (observe) sim.bus.ofType(incremented).subscribe(() => undefined);
  return sim;
}

/**
 * The kernel's dispatch pipeline on the smallest real plugin: `counter.increment` → args
 * validated by zod → one event → the projection → the store. The baseline is the same state
 * change made by a direct function call on a Map. The kernel figure uses a NullStore, so it
 * measures the kernel; what keeping the records costs is the store suite's business, and the
 * in-memory store's cost is shown beside it. The bench runs as `chronovisor` does, in production
 * (records not frozen); what freezing them costs is shown beside it.
 */
export function coreSuite(): Figure[] {
  const kernel = measureRate({
    items: COMMANDS,
    setup: () => simulation(new NullStore()),
    round: increments,
  });
  const direct = measureRate({
    items: COMMANDS,
    setup: () => new Map<string, number>(),
    round: (values) => {
      const increment = (name: string, by: number): void =>
        void values.set(name, (values.get(name) ?? 0) + by);
      for (let i = 0; i < COMMANDS; i++) increment(NAMES[i & 63]!, 1);
    },
  });
  const bare = measureRate({
    items: COMMANDS,
    setup: () => new Simulation({ plugins: [tickPlugin()], seed: 1, store: new NullStore() }),
    round: (sim) => {
      for (let i = 0; i < COMMANDS; i++) sim.dispatch(tick, null);
    },
  });
  const kept = measureRate({
    items: COMMANDS,
    setup: () => simulation(new MemoryStore()),
    round: increments,
  });
  const observed = measureRate({
    items: COMMANDS,
    setup: () => simulation(new NullStore(), true),
    round: increments,
  });

  const frozen = measureRate({
    items: COMMANDS,
    setup: () => simulation(new NullStore(), false, true),
    round: increments,
  });

  const slowdown = direct.perSecond / kernel.perSecond;
  return [
    figure({
      suite: 'core',
      name: 'command → event → projection (counter.increment, zod-validated args)',
      value: kernel.perSecond,
      unit: 'events/s',
      baseline: { name: 'direct Map update', value: direct.perSecond },
      aim: {
        text: '≥ 2,000,000 events/s and within 10× of the direct call',
        met: kernel.perSecond >= 2_000_000 && slowdown <= 10,
      },
      detail: 'before Plugin API 2: 1,259,284 events/s',
    }),
    figure({
      suite: 'core',
      name: 'the kernel alone: bench.tick (no args, one event, a counting projection)',
      value: bare.perSecond,
      unit: 'events/s',
      baseline: { name: 'counter.increment pipeline', value: kernel.perSecond },
      aim: { text: '≥ 5,000,000 events/s', met: bare.perSecond >= 5_000_000 },
      detail: 'before Plugin API 2: 3,122,114 events/s',
    }),
    figure({
      suite: 'core',
      name: 'counter pipeline, records kept in a MemoryStore',
      value: kept.perSecond,
      unit: 'events/s',
      baseline: { name: 'NullStore', value: kernel.perSecond },
    }),
    figure({
      suite: 'core',
      name: 'counter pipeline, records frozen (the default outside production)',
      value: frozen.perSecond,
      unit: 'events/s',
      baseline: { name: 'records not frozen', value: kernel.perSecond },
    }),
    figure({
      suite: 'core',
      name: 'counter pipeline, with a bus observer',
      value: observed.perSecond,
      unit: 'events/s',
      baseline: { name: 'no observer', value: kernel.perSecond },
    }),
  ];
}
