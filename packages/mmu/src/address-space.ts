import type { SpaceKind } from './mmu-events';
import type { PageTable, PageTableSnapshot } from './page-table';
import type { Tlb, TlbSnapshot } from './tlb';

/** An address space: its page table, its TLB, and where its frames come from. */
export interface AddressSpace {
  readonly id: number;
  readonly kind: SpaceKind;
  /** The partition its frames come from (a guest space's is its VM's). */
  readonly partition: string;
  /** For a guest space: the VM (stage-2 space) it translates through. */
  readonly vm?: number;
  readonly table: PageTable;
  readonly tlb: Tlb;
  faults: number;
}

/** A captured address space. */
export interface AddressSpaceSnapshot {
  readonly id: number;
  readonly kind: SpaceKind;
  readonly partition: string;
  readonly vm?: number;
  readonly table: PageTableSnapshot;
  readonly tlb: TlbSnapshot;
  readonly faults: number;
}
