import type { CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import {
  alignField,
  checkArgs,
  pointerArgs,
  refField,
  sizeField,
  spaceField,
  type PointerOperand,
} from './args';
import type { FreeOutcome, ReallocOutcome } from './heap-commands';
import { HeapError } from './heap-error';
import { HeapHandler } from './heap-handler';
import { checkRelease } from './pointer-check';

type MallocArgs = { space: number; size: number; align?: number; ref?: number };
type CallocArgs = { space: number; count: number; size: number; ref?: number };
type ReallocArgs = PointerOperand & { space: number; size: number };
type FreeArgs = PointerOperand & { space: number };

/**
 * `heap.malloc`: allocates `size` bytes (aligned to `align`, as `aligned_alloc`); returns the
 * tagged pointer, and keeps it in `ref` if given.
 */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class MallocHandler extends HeapHandler<MallocArgs, number> {
  readonly type = 'heap.malloc';
  readonly description =
    'Allocate `size` bytes in `space` (aligned to `align`, a power of two); returns a tagged pointer, kept in `ref` if given.';

  parse(args: unknown): MallocArgs {
    return checkArgs(this.type, args, {
      space: spaceField,
      size: sizeField,
      align: alignField,
      ref: refField,
    });
  }

  execute({ space, size, align = 1, ref }: MallocArgs, context: CommandContext): number {
    const heap = this.allocator.heapOf(space, context);
    return this.allocator.allocate(heap, size, align, context, { ref }).ptr;
  }
}

/** `heap.calloc`: allocates `count × size` zeroed bytes; returns the tagged pointer. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class CallocHandler extends HeapHandler<CallocArgs, number> {
  readonly type = 'heap.calloc';
  readonly description =
    'Allocate `count` × `size` zeroed bytes in `space`; returns a tagged pointer, kept in `ref` if given.';

  parse(args: unknown): CallocArgs {
    return checkArgs(this.type, args, {
      space: spaceField,
      count: sizeField,
      size: sizeField,
      ref: refField,
    });
  }

  execute({ space, count, size, ref }: CallocArgs, context: CommandContext): number {
    const bytes = count * size;
    if (bytes > 2 ** 30) throw new HeapError(`calloc(${count}, ${size}) asks for more than 1 GiB`);
    const heap = this.allocator.heapOf(space, context);
    const block = this.allocator.allocate(heap, bytes, 1, context, { ref });
    if (bytes > 0) this.allocator.zero(heap, block.address, bytes, context);
    return block.ptr;
  }
}

/**
 * `heap.realloc`: resizes a block, in place when its span has room, else by moving it (allocate,
 * copy, free; a ref then holds the new pointer). A null pointer allocates; size 0 frees and
 * returns null.
 */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ReallocHandler extends HeapHandler<ReallocArgs, ReallocOutcome> {
  readonly type = 'heap.realloc';
  readonly description =
    'Resize the block at `ptr` (or held in `ref`) in `space` to `size` bytes, in place or by moving it; returns the new pointer.';

  readonly parse = pointerArgs<ReallocArgs>(this.type, { space: spaceField, size: sizeField });

  execute(args: ReallocArgs, context: CommandContext): ReallocOutcome {
    const { space, size, ref } = args;
    const heap = this.allocator.heapOf(space, context);
    const ptr = this.pointer(heap, args);
    if (ptr === 0)
      return { ok: true, ptr: this.allocator.allocate(heap, size, 1, context, { ref }).ptr };
    const verdict = checkRelease(heap, ptr, 'realloc', this.readInfo);
    if (!verdict.ok) return this.refuse(verdict, context);
    const { block } = verdict;
    if (size === 0) {
      this.allocator.release(heap, block, context);
      return { ok: true, ptr: 0 };
    }
    if (size <= block.span) {
      context.emit('heap.block.resized', {
        space,
        ptr,
        address: block.address,
        size,
        oldSize: block.size,
      });
      return { ok: true, ptr };
    }
    const moved = this.allocator.allocate(heap, size, 1, context, { ref, replaces: block });
    if (block.size > 0)
      this.allocator.copy(heap, block.address, moved.address, block.size, context);
    this.allocator.release(heap, block, context);
    return { ok: true, ptr: moved.ptr };
  }
}

/** `heap.free`: frees the block at `ptr` (or held in `ref`), if the pointer's tag and the block's info agree. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class FreeHandler extends HeapHandler<FreeArgs, FreeOutcome> {
  readonly type = 'heap.free';
  readonly description =
    'Free the block at `ptr` (or held in `ref`) in `space`; a bad pointer is reported, not obeyed.';

  readonly parse = pointerArgs<FreeArgs>(this.type, { space: spaceField });

  execute(args: FreeArgs, context: CommandContext): FreeOutcome {
    if (args.ptr === 0) return { ok: true }; // free(NULL) does nothing
    const heap = this.allocator.heapOf(args.space, context);
    const ptr = this.pointer(heap, args);
    if (ptr === 0) return { ok: true };
    const verdict = checkRelease(heap, ptr, 'free', this.readInfo);
    if (!verdict.ok) return this.refuse(verdict, context);
    this.allocator.release(heap, verdict.block, context);
    return { ok: true };
  }
}
