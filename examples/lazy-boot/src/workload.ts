import { Xoshiro128StarStar, type Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';

/** Bytes per page, pages of the function's VM (4 MiB), and where its process sees them. */
export const PAGE = 4096;
export const VM_PAGES = 1024;
export const PROCESS_VA = 0x40_0000;

/**
 * The pages one invocation of the function touches, in order: its runtime's code and data
 * (pages 0–63), then the handler's working data scattered over the heap. The same on every
 * invocation, as REAP observed of serverless functions: drawn once from a fixed seed.
 */
export function invocationPages(): number[] {
  const rng = new Xoshiro128StarStar(2021);
  const pages: number[] = [];
  for (let p = 0; p < 64; p++) if (rng.nextInt(0, 2) !== 0) pages.push(p);
  for (let i = 0; i < 60; i++) pages.push(64 + rng.nextInt(0, VM_PAGES - 65));
  return pages;
}

/** Builds the function's VM as a first cold start leaves it: every page written. */
export function buildFunctionVm(
  sim: Simulation,
  partition: string,
): { vm: number; process: number } {
  const vm = sim.dispatch(mmu.createSpace, { kind: 'vm', partition }, { actor: 'vmm' }).value!;
  sim.dispatch(mmu.map, { space: vm, va: 0, pages: VM_PAGES }, { actor: 'vmm' });
  const process = sim.dispatch(
    mmu.createSpace,
    { kind: 'guest', vm },
    { actor: 'vm/kernel' },
  ).value!;
  sim.dispatch(
    mmu.map,
    { space: process, va: PROCESS_VA, pages: VM_PAGES, to: 0 },
    { actor: 'vm/kernel' },
  );
  const page = new Uint8Array(PAGE);
  for (let p = 0; p < VM_PAGES; p++) {
    page.fill(p & 0xff);
    sim.dispatch(mmu.write, { space: vm, va: p * PAGE, data: page }, { actor: 'vm/init' });
  }
  return { vm, process };
}
