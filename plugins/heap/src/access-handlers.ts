import type { CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import { bytesField, pointerArgs, lengthField, spaceField, type PointerOperand } from './args';
import type { LoadOutcome, StoreOutcome } from './heap-commands';
import { HeapHandler } from './heap-handler';
import { addressOf } from './pointer';
import { checkAccess } from './pointer-check';

type LoadArgs = PointerOperand & { space: number; length: number };
type StoreArgs = PointerOperand & { space: number; data: Uint8Array };

/** `heap.load`: reads through a heap pointer, checked first (synchronously, as MTE's precise mode). */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class LoadHandler extends HeapHandler<LoadArgs, LoadOutcome> {
  readonly type = 'heap.load';
  readonly description =
    'Read `length` bytes through the heap pointer `ptr` (or `ref` + `offset`) in `space`, after checking it.';

  readonly parse = pointerArgs<LoadArgs>(this.type, { space: spaceField, length: lengthField });

  execute(args: LoadArgs, context: CommandContext): LoadOutcome {
    const { space, length } = args;
    const heap = this.allocator.heapOf(space, context);
    const ptr = this.pointer(heap, args);
    const verdict = checkAccess(heap, ptr, length, 'load', this.readInfo);
    if (!verdict.ok) return this.refuse(verdict, context);
    return context.call('mmu.read', { space, va: addressOf(ptr, heap), length });
  }
}

/** `heap.store`: writes through a heap pointer, checked first. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class StoreHandler extends HeapHandler<StoreArgs, StoreOutcome> {
  readonly type = 'heap.store';
  readonly description =
    'Write `data` through the heap pointer `ptr` (or `ref` + `offset`) in `space`, after checking it.';

  private readonly check = pointerArgs<StoreArgs>(this.type, {
    space: spaceField,
    data: bytesField,
  });

  parse(args: unknown): StoreArgs {
    const a = this.check(args);
    return { ...a, data: a.data.slice() }; // the log keeps what was written
  }

  execute(args: StoreArgs, context: CommandContext): StoreOutcome {
    const { space, data } = args;
    const heap = this.allocator.heapOf(space, context);
    const ptr = this.pointer(heap, args);
    const verdict = checkAccess(heap, ptr, data.length, 'store', this.readInfo);
    if (!verdict.ok) return this.refuse(verdict, context);
    return context.call('mmu.write', { space, va: addressOf(ptr, heap), data });
  }
}
