import { buildCounterexample } from './counterexample';
import { searchExhaustive, searchRandom } from './explore';
import { resolveScenario } from './options';
import { HandleTableModel } from './threads';
import type { InterleavingOptions, InterleavingReport } from './types';

/**
 * Shows, by running them, that lock-free handle resolution (US7031971B1) with identifier-checked
 * handles (US7403887B1) is safe against growth and handle reuse: resolvers, a grower and a churn
 * thread run as atomic steps over a small shared memory, interleaved every possible way (or in
 * seeded random ways), and every interleaving is checked for a torn table code, a resolver that
 * could not finish on its own, and a resolve whose result the handle map never allowed during
 * it. Throws a RangeError naming the option if the options are invalid.
 */
export function exploreInterleavings(options: InterleavingOptions): InterleavingReport {
  const scenario = resolveScenario(options);
  const model = new HandleTableModel(scenario);
  const found =
    scenario.mode === 'exhaustive'
      ? searchExhaustive(model, scenario.maxPreemptions, scenario.maxInterleavings)
      : searchRandom(model, scenario.seed, scenario.schedules);
  const report: InterleavingReport = {
    variant: scenario.variant,
    mode: scenario.mode,
    threads: model.threads,
    interleavings: found.interleavings,
    steps: found.steps,
    preemptionBound: found.preemptionBound,
    complete: found.complete,
    scheduleDigest: (found.digest >>> 0).toString(16).padStart(8, '0'),
  };
  return found.finding
    ? { ...report, violation: buildCounterexample(model, found.finding) }
    : report;
}
