import type { CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import { bytesField, checkPointerArgs, lengthField, spaceField, type PointerOperand } from './args';
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

  parse(args: unknown): LoadArgs {
    return checkPointerArgs(this.type, args, { space: spaceField, length: lengthField });
  }

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

  parse(args: unknown): StoreArgs {
    const a = checkPointerArgs<StoreArgs>(this.type, args, { space: spaceField, data: bytesField });
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
