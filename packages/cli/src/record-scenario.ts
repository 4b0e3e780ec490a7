import {
  Simulation,
  SummaryLines,
  Xoshiro128StarStar,
  type EventTypeRegistry,
  type Plugin,
  type Store,
} from '@chronovisor/core';
import { performance } from 'node:perf_hooks';
import type { Scenario } from './scenario-loader';

/** How a scenario is recorded: its plugin set and seed, and the store it goes into. */
export interface Recording {
  readonly plugins: readonly Plugin[];
  readonly seed: number;
  readonly store: Store;
  readonly digestInterval?: number;
  /** Called now and then with the records so far (a progress bar's). */
  readonly progress?: (records: number) => void;
}

/** What a recording came to, beside the records themselves. */
export interface Recorded {
  readonly eventTypes: EventTypeRegistry;
  /** Wall time of the simulation, store included. */
  readonly seconds: number;
  /** Each plugin's figures at the run's end (`SummaryLines.figures`), by summary name. */
  readonly figures: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Runs a scenario on a plugin set into a store and closes the simulation (the store stays open
 * for the caller to close). A scenario that throws leaves what it recorded in the store.
 */
export async function recordScenario(scenario: Scenario, recording: Recording): Promise<Recorded> {
  const { plugins, seed, store, digestInterval, progress } = recording;
  const started = performance.now();
  const sim = new Simulation({
    plugins,
    seed,
    store,
    ...(digestInterval === undefined ? {} : { digestInterval }),
  });
  const watch = progress
    ? sim.records$.subscribe((r) => {
        if (r.seq % 16_384 === 0) progress(r.seq);
      })
    : undefined;
  try {
    await scenario.run(sim, { seed, rng: new Xoshiro128StarStar(seed) });
  } finally {
    watch?.unsubscribe();
  }
  const figures: Record<string, Readonly<Record<string, number>>> = {};
  for (const s of sim.getAll<SummaryLines>(SummaryLines)) {
    const own = s.figures?.();
    if (own && Object.keys(own).length > 0) figures[s.name] = own;
  }
  sim.close();
  return { eventTypes: sim.eventTypes, seconds: (performance.now() - started) / 1000, figures };
}
