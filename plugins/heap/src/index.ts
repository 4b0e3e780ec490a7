import { heapPlugin } from './heap-plugin';

export type { Block, FreedBlock, HeapCounters } from './heap';
export type { Chunk } from './free-chunks';
export * from './heap-commands';
export * from './heap-events';
export { HeapError } from './heap-error';
export {
  HeapConfig,
  HeapOptions,
  POLICIES,
  heapOptionsSchema,
  type PolicyName,
} from './heap-options';
export * from './heap-plugin';
export * from './heap-query';
export { HeapSummaryLines } from './heap-summary-lines';
export { HeapView } from './heap-view';
export type { Violation } from './heap-state';
export { addressOf, tagOf, packPointer, type AllocationInfo } from './pointer';
export * from './heap-client';
export * from './trace/inject';
export * from './trace/run-trace';
export * from './trace/trace-format';
/** What `chronovisor run --config` loads. */
export default heapPlugin;
