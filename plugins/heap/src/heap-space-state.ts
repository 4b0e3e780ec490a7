import { handle, type CommandHandlers, type SpaceState } from '@chronovisor/core';
import { MmuQuery } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { restoreState } from './heap-commands';
import { HeapError } from './heap-error';
import { heapStateData, stateRestored, type StateRestored } from './heap-events';
import { HeapState } from './heap-state';

/**
 * The heap of a space travels with its process: a checkpoint keeps its blocks, free chunks, freed
 * blocks, refs and counters, and a restore gives them to the process's new space (at the same
 * addresses, its memory restored first), so the process allocates as it would have, and a stale
 * pointer it kept is still caught. The tags live in the pointers and in memory, which come back
 * with the memory.
 */
export class HeapSpaceState implements SpaceState {
  readonly name = 'heap';
  readonly restore = restoreState;

  constructor(@inject(HeapState) private readonly heaps: HeapState) {}

  capture(space: number): unknown {
    return this.heaps.dataOf(space);
  }
}

/** `heap.restore-state`: the state checked (it may come from a file), then `heap.state.restored`. */
export class RestoreStateCommands implements CommandHandlers {
  constructor(
    @inject(HeapState) private readonly heaps: HeapState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  readonly handlers = [
    handle(restoreState, ({ space, state }, context) => {
      const parsed = heapStateData.safeParse(state);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new HeapError(
          `The heap state for space ${space} does not fit: ${issue.path.join('.') || 'the state'}: ${issue.message}`,
        );
      }
      const heap = { ...parsed.data, created: { ...parsed.data.created, space } };
      this.check(space, heap);
      context.emit(stateRestored, { space, heap });
    }),
  ];

  /** A heap fits a space that has none, its region mapped, everything it holds inside it. */
  private check(space: number, heap: StateRestored['heap']): void {
    if (!this.mmu.spaces().some((s) => s.id === space))
      throw new HeapError(`There is no address space ${space} to restore a heap into`);
    if (this.heaps.heap(space))
      throw new HeapError(`Space ${space} has a heap already: a heap is restored into a new space`);
    const { base } = heap.created;
    const { pageSize } = this.mmu;
    if (heap.brk < base) throw new HeapError(`The heap's break is below its base`);
    for (let va = base; va < heap.brk; va += pageSize)
      if (this.mmu.physicalAddress(space, va) === undefined)
        throw new HeapError(
          `The heap's region is not mapped in space ${space} at 0x${va.toString(16)}: restore its memory first`,
        );
    const outside = [
      ...heap.blocks.map((b) => [b.address, b.span] as const),
      ...heap.freed.map((b) => [b.address, b.span] as const),
      ...heap.chunks.map(([address, size]) => [address, size] as const),
    ].find(([address, size]) => address < base || address + size > heap.brk);
    if (outside)
      throw new HeapError(
        `The heap state holds memory at 0x${outside[0].toString(16)} outside its region (0x${base.toString(16)} to 0x${heap.brk.toString(16)})`,
      );
  }
}
