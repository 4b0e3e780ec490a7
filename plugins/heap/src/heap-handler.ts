import type { CommandContext, CommandHandler } from '@chronovisor/core';
import { inject, injectable } from 'inversify';
import { Allocator } from './allocator';
import type { PointerOperand } from './args';
import type { Heap } from './heap';
import { HeapError } from './heap-error';
import type { Refusal } from './heap-commands';
import type { Verdict } from './pointer-check';

/**
 * What every heap command handler shares: the allocator, and the reporting of violations.
 * Subclasses carry `@injectFromBase({ extendConstructorArguments: true })`.
 */
@injectable()
export abstract class HeapHandler<A, R> implements CommandHandler<A, R> {
  abstract readonly type: string;
  abstract readonly description: string;
  abstract parse(args: unknown): A;
  abstract execute(args: A, context: CommandContext): R;

  /** Reads a block's info word through the MMU; bound once for the pointer checks. */
  protected readonly readInfo = (heap: Heap, address: number) =>
    this.allocator.readInfo(heap, address);

  constructor(@inject(Allocator) protected readonly allocator: Allocator) {}

  /** The pointer an operand names: given, or held in a ref (plus its offset). */
  protected pointer(heap: Heap, operand: PointerOperand): number {
    if (operand.ptr !== undefined) return operand.ptr;
    const ptr = heap.refs.get(operand.ref);
    if (ptr === undefined)
      throw new HeapError(
        `Ref ${operand.ref} holds no pointer in space ${heap.space}: allocate with it first`,
      );
    return ptr + (operand.offset ?? 0);
  }

  /** Records the violation a failed check found, and returns it as the command's outcome. */
  protected refuse(verdict: Verdict & { ok: false }, context: CommandContext): Refusal {
    context.emit('heap.violation.detected', verdict.violation);
    return { ok: false, violation: verdict.violation };
  }
}
