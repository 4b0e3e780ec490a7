import type { ReadArgs, ReadOutcome, WriteArgs, WriteOutcome } from './access-handlers';
import type { IsolationViolated } from './mmu-events';

type Range = { space: number; va: number; pages: number };
type Move = { from: number; va: number; pages: number; to: number; toVa: number };
type MoveOutcome = { ok: true } | { ok: false; violation: IsolationViolated };

declare module '@chronovisor/core' {
  interface CommandMap {
    'mmu.create-partition': { name: string; frames: number };
    'mmu.create-space': { kind: 'host' | 'vm'; partition: string } | { kind: 'guest'; vm: number };
    'mmu.destroy-space': { space: number };
    'mmu.fork': { space: number };
    'mmu.map': Range & { perms?: string; kernel?: boolean; lazy?: boolean; to?: number };
    'mmu.unmap': Range;
    'mmu.protect': Range & { perms: string; kernel?: boolean };
    'mmu.share': Move & { perms?: string };
    'mmu.remap': Move;
    'mmu.export': Range & { partition: string };
    'mmu.load': { space: number; va: number; data?: Uint8Array };
    'mmu.mark': Range & { set?: number; clear?: number };
    'mmu.read': ReadArgs;
    'mmu.write': WriteArgs;
    'mmu.flush': { space?: number };
  }
  interface CommandValueMap {
    'mmu.create-partition': { base: number; frames: number };
    'mmu.create-space': number;
    'mmu.fork': number;
    'mmu.map': number[];
    'mmu.share': MoveOutcome;
    'mmu.remap': MoveOutcome;
    'mmu.export': number[];
    'mmu.load': number;
    'mmu.read': ReadOutcome;
    'mmu.write': WriteOutcome;
  }
}
