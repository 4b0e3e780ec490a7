export { formatCounterexample } from './counterexample';
export { exploreInterleavings } from './explore-interleavings';
export type {
  Counterexample,
  InterleavingOptions,
  InterleavingReport,
  ScheduledStep,
  TableVariant,
} from './types';
