import './heap-commands';

export type { Block, FreedBlock, HeapCounters } from './heap';
export type { Chunk } from './free-chunks';
export type {
  FreeOutcome,
  LoadOutcome,
  ReallocOutcome,
  Refusal,
  StoreOutcome,
} from './heap-commands';
export * from './heap-events';
export { HeapError } from './heap-error';
export { POLICIES, heapOptionsSchema, type HeapOptions, type PolicyName } from './heap-options';
export * from './heap-plugin';
export * from './heap-query';
export type { Violation } from './heap-state';
export { addressOf, tagOf, packPointer, type AllocationInfo } from './pointer';
export { heapPlugin as default } from './heap-plugin';
export * from './heap-client';
export * from './trace/inject';
export * from './trace/run-trace';
export * from './trace/trace-format';
