import { mmuPlugin } from './mmu-plugin';

export * from './args';
export * from './memory-client';
export * from './mmu-commands';
export { MmuConfig, MmuOptions, mmuOptionsSchema } from './mmu-config';
export * from './mmu-events';
export * from './mmu-plugin';
export * from './mmu-query';
export { MmuError, type MmuSnapshot } from './mmu-state';
export type { Partition } from './physical-memory';
export { Pte, describeFlags, makePte, permsOfFlags, permsToFlags, pteFlags, pteFrame } from './pte';
export type { TlbEntry, TlbPolicy } from './tlb';
/** What `chronovisor run --config` loads. */
export default mmuPlugin;
