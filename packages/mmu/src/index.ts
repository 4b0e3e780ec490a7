import './mmu-commands';

export type { ReadArgs, ReadOutcome, WriteArgs, WriteOutcome } from './access-handlers';
export * from './memory-client';
export { MmuConfig, mmuOptionsSchema, type MmuOptions } from './mmu-config';
export * from './mmu-events';
export * from './mmu-plugin';
export * from './mmu-query';
export { MmuError, type MmuSnapshot } from './mmu-state';
export type { Partition } from './physical-memory';
export { Pte, describeFlags, makePte, permsToFlags, pteFlags, pteFrame } from './pte';
export type { TlbEntry, TlbPolicy } from './tlb';
export { mmuPlugin as default } from './mmu-plugin';
