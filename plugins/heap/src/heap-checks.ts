import { ValidationError, type CommandContext, type CommandType } from '@chronovisor/core';
import { inject } from 'inversify';
import { Allocator } from './allocator';
import type { PointerOperand, Refusal } from './heap-commands';
import type { Heap } from './heap';
import { HeapError } from './heap-error';
import { violationDetected } from './heap-events';
import { HeapConfig } from './heap-options';
import type { InfoReader, Verdict } from './pointer-check';

/**
 * What the heap's command handlers share: the limits the options set on their arguments, the
 * pointer an operand names, and the reporting of violations. A service the handler classes
 * inject, not a base class.
 */
export class HeapChecks {
  /** Reads a block's info word through the MMU; bound once for the pointer checks. */
  readonly readInfo: InfoReader = (heap, address) => this.allocator.readInfo(heap, address);

  constructor(
    @inject(Allocator) private readonly allocator: Allocator,
    @inject(HeapConfig) private readonly config: HeapConfig,
  ) {}

  /**
   * Refuses a request larger than a heap may grow (option `maxBytes`), naming the command and the
   * field as the schema would: the limit depends on the options, which the schema cannot know.
   */
  checkSize(command: CommandType, field: string, bytes: number): void {
    if (bytes > this.config.maxBytes)
      throw new ValidationError(`command ${command.type}`, [
        `args.${field} = ${bytes}: more than a heap holds (${this.config.maxBytes} bytes, option maxBytes)`,
      ]);
  }

  /** Refuses a load or store of more bytes than option `maxAccess` allows. */
  checkAccess(command: CommandType, field: string, bytes: number): void {
    if (bytes > this.config.maxAccess)
      throw new ValidationError(`command ${command.type}`, [
        `args.${field}: ${bytes} bytes, more than one access moves (${this.config.maxAccess}, option maxAccess)`,
      ]);
  }

  /** The pointer an operand names: given, or held in a ref (plus its offset). */
  pointer(heap: Heap, operand: PointerOperand): number {
    if (operand.ptr !== undefined) return operand.ptr;
    if (operand.ref === undefined)
      throw new HeapError('A heap command needs either ptr or ref to name its pointer');
    const ptr = heap.refs.get(operand.ref);
    if (ptr === undefined)
      throw new HeapError(
        `Ref ${operand.ref} holds no pointer in space ${heap.space}: allocate with it first`,
      );
    return ptr + (operand.offset ?? 0);
  }

  /** Records the violation a failed check found, and returns it as the command's outcome. */
  refuse(verdict: Verdict & { ok: false }, context: CommandContext): Refusal {
    context.emit(violationDetected, verdict.violation);
    return { ok: false, violation: verdict.violation };
  }
}
