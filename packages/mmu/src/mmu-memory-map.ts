import type { FrameState, MemoryLayout, MemoryMap } from '@chronovisor/core';
import { inject } from 'inversify';
import type { AddressSpace } from './address-space';
import { MmuState } from './mmu-state';
import { Pte, describeFlags, pteFlags, pteFrame } from './pte';
import { resolveFrame } from './translate';

/** Runs of equal items: [item, count] pairs. */
function runsOf<T>(items: Iterable<T>): [T, number][] {
  const runs: [T, number][] = [];
  for (const item of items) {
    const last = runs.at(-1);
    if (last && last[0] === item) last[1]++;
    else runs.push([item, 1]);
  }
  return runs;
}

/**
 * The web page's memory map: each partition's frames as free, private (one reference), shared
 * (several) or copy-on-write (behind a COW entry); each space's pages the same way, and lazy
 * where mapped but not loaded yet. A guest's pages stand as the host frames behind them do.
 */
export class MmuMemoryMap implements MemoryMap {
  constructor(@inject(MmuState) private readonly state: MmuState) {}

  layout(): MemoryLayout {
    const memory = this.state.memory;
    const cow = new Set<number>();
    for (const space of this.state.allSpaces()) {
      if (space.kind === 'guest') continue;
      space.table.forEach((_vpn, pte) => {
        if (pteFlags(pte) & Pte.COW) cow.add(pteFrame(pte));
      });
    }
    const frameState = (frame: number): FrameState => {
      const refs = memory.refcount(frame);
      return refs === 0 ? 'free' : cow.has(frame) ? 'cow' : refs > 1 ? 'shared' : 'private';
    };
    return {
      pageSize: this.state.config.pageSize,
      partitions: memory.allPartitions().map(({ name, base, frames }) => ({
        name,
        base,
        frames,
        states: runsOf(
          (function* () {
            for (let frame = base; frame < base + frames; frame++) yield frameState(frame);
          })(),
        ),
      })),
      spaces: this.state.allSpaces().map((space) => ({
        id: space.id,
        kind: space.kind,
        partition: space.partition,
        ...(space.vm === undefined ? {} : { vm: space.vm }),
        runs: this.pageRuns(space, frameState),
      })),
    };
  }

  /** A space's mapped pages in runs of consecutive pages that stand alike with the same flags. */
  private pageRuns(space: AddressSpace, frameState: (frame: number) => FrameState) {
    const pageSize = this.state.config.pageSize;
    const vm = this.state.vmOf(space);
    const runs: { va: number; pages: number; state: FrameState; flags: string }[] = [];
    let last: { vpn: number; flags: number; state: FrameState } | undefined;
    space.table.forEach((vpn, pte) => {
      const flags = pteFlags(pte);
      const frame = resolveFrame(space, vm, vpn);
      const state: FrameState =
        flags & Pte.LAZY
          ? 'lazy'
          : flags & Pte.COW
            ? 'cow'
            : frame === undefined
              ? 'lazy'
              : frameState(frame);
      const run = runs.at(-1);
      if (run && last && last.vpn === vpn - 1 && last.flags === flags && last.state === state)
        run.pages++;
      else runs.push({ va: vpn * pageSize, pages: 1, state, flags: describeFlags(flags) });
      last = { vpn, flags, state };
    });
    return runs;
  }
}
