import { handle, type CommandHandlers } from '@chronovisor/core';
import { read, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Allocator } from './allocator';
import { load, store, type LoadOutcome, type StoreOutcome } from './heap-commands';
import { HeapChecks } from './heap-checks';
import { addressOf } from './pointer';
import { checkAccess } from './pointer-check';

/** `heap.load` and `heap.store`: accesses through heap pointers, each checked first (as MTE's precise mode). */
export class AccessCommands implements CommandHandlers {
  constructor(
    @inject(Allocator) private readonly allocator: Allocator,
    @inject(HeapChecks) private readonly checks: HeapChecks,
  ) {}

  readonly handlers = [
    handle(load, (args, context): LoadOutcome => {
      const { space, length } = args;
      this.checks.checkAccess(load, 'length', length);
      const heap = this.allocator.heapOf(space, context);
      const ptr = this.checks.pointer(heap, args);
      const verdict = checkAccess(heap, ptr, length, 'load', this.checks.readInfo);
      if (!verdict.ok) return this.checks.refuse(verdict, context);
      return context.call(read, { space, va: addressOf(ptr, heap), length });
    }),

    handle(store, (args, context): StoreOutcome => {
      const { space, data } = args;
      this.checks.checkAccess(store, 'data', data.length);
      const heap = this.allocator.heapOf(space, context);
      const ptr = this.checks.pointer(heap, args);
      const verdict = checkAccess(heap, ptr, data.length, 'store', this.checks.readInfo);
      if (!verdict.ok) return this.checks.refuse(verdict, context);
      // The bytes the schema copied at the boundary, handed on as they are (not copied again).
      return context.call(write, { space, va: addressOf(ptr, heap), data });
    }),
  ];
}
