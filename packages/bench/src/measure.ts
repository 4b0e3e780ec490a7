import { performance } from 'node:perf_hooks';

/** How fast something ran: items per second, the median of several timed rounds. */
export interface Rate {
  readonly perSecond: number;
  readonly rounds: readonly number[];
}

/**
 * Times `round` (which processes `items` items and returns) several times after a warm-up and
 * returns the median rate, so one slow round (GC, the other core busy) does not set the figure.
 * `setup` runs before each round, untimed.
 */
export function measureRate<S>(options: {
  items: number;
  rounds?: number;
  setup: () => S;
  round: (state: S) => void;
}): Rate {
  const { items, rounds = 5, setup, round } = options;
  round(setup()); // warm-up: let the JIT settle before timing
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const state = setup();
    const start = performance.now();
    round(state);
    const seconds = (performance.now() - start) / 1000;
    rates.push(items / seconds);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  return { perSecond: sorted[Math.floor(sorted.length / 2)]!, rounds: rates };
}

/**
 * Runs `work` once and times it: for work too long to repeat (a million records to SQLite). It
 * starts from a collected heap (the bench runs with --expose-gc), so that what ran before it
 * (a million records just made) is not collected on its time.
 */
export function timed<T>(work: () => T): { result: T; seconds: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  const result = work();
  return { result, seconds: (performance.now() - start) / 1000 };
}
