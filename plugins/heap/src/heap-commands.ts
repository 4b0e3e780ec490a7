import type { FaultRaised } from '@chronovisor/mmu';
import type { PointerOperand } from './args';
import type { ViolationDetected } from './heap-events';

/** A free, realloc, load or store that a bad pointer stopped, or that faulted in the MMU. */
export type Refusal =
  | { readonly ok: false; readonly violation: ViolationDetected }
  | { readonly ok: false; readonly fault: FaultRaised };

export type FreeOutcome = { readonly ok: true } | Refusal;
export type ReallocOutcome = { readonly ok: true; readonly ptr: number } | Refusal;
export type LoadOutcome = { readonly ok: true; readonly bytes: Uint8Array } | Refusal;
export type StoreOutcome = { readonly ok: true } | Refusal;

declare module '@chronovisor/core' {
  interface CommandMap {
    'heap.malloc': { space: number; size: number; align?: number; ref?: number };
    'heap.calloc': { space: number; count: number; size: number; ref?: number };
    'heap.realloc': PointerOperand & { space: number; size: number };
    'heap.free': PointerOperand & { space: number };
    'heap.load': PointerOperand & { space: number; length: number };
    'heap.store': PointerOperand & { space: number; data: Uint8Array };
  }
  interface CommandValueMap {
    'heap.malloc': number;
    'heap.calloc': number;
    'heap.realloc': ReallocOutcome;
    'heap.free': FreeOutcome;
    'heap.load': LoadOutcome;
    'heap.store': StoreOutcome;
  }
}
