import { ChronovisorError, type CommandResult, type Simulation } from '@chronovisor/core';
import { CommandRefused, MemoryFault } from '@chronovisor/mmu';
import type { Refusal } from './heap-commands';
import type { ViolationDetected } from './heap-events';
import { hex } from './pointer';

/** A heap check that stopped an operation, thrown by {@link HeapClient} (as MTE's precise mode traps). */
export class HeapViolation extends ChronovisorError {
  constructor(readonly violation: ViolationDetected) {
    super(
      `${violation.kind}: ${violation.op} through ${hex(violation.ptr)} in space ${violation.space}` +
        (violation.freed ? ` (block freed at seq ${violation.freed.freeSeq})` : ''),
    );
  }
}

/**
 * A program's view of its heap, for scenarios and tests: `malloc`, `free` and friends on one
 * space, each a recorded command. A violation or fault throws (it is recorded all the same);
 * a refused command throws {@link CommandRefused}.
 */
export class HeapClient {
  constructor(
    private readonly simulation: Simulation,
    readonly space: number,
    private readonly actor = 'user',
  ) {}

  malloc(size: number, align?: number): number {
    const args =
      align === undefined ? { space: this.space, size } : { space: this.space, size, align };
    return this.value(
      this.simulation.dispatch('heap.malloc', args, { actor: this.actor }),
      'heap.malloc',
    );
  }

  calloc(count: number, size: number): number {
    return this.value(
      this.simulation.dispatch(
        'heap.calloc',
        { space: this.space, count, size },
        { actor: this.actor },
      ),
      'heap.calloc',
    );
  }

  realloc(ptr: number, size: number): number {
    const outcome = this.value(
      this.simulation.dispatch(
        'heap.realloc',
        { space: this.space, ptr, size },
        { actor: this.actor },
      ),
      'heap.realloc',
    );
    return this.unwrap(outcome).ptr;
  }

  free(ptr: number): void {
    this.unwrap(
      this.value(
        this.simulation.dispatch('heap.free', { space: this.space, ptr }, { actor: this.actor }),
        'heap.free',
      ),
    );
  }

  load(ptr: number, length: number): Uint8Array {
    const outcome = this.value(
      this.simulation.dispatch(
        'heap.load',
        { space: this.space, ptr, length },
        { actor: this.actor },
      ),
      'heap.load',
    );
    return this.unwrap(outcome).bytes;
  }

  store(ptr: number, data: Uint8Array): void {
    this.unwrap(
      this.value(
        this.simulation.dispatch(
          'heap.store',
          { space: this.space, ptr, data },
          { actor: this.actor },
        ),
        'heap.store',
      ),
    );
  }

  private unwrap<T extends { ok: true }>(outcome: T | Refusal): T {
    if (outcome.ok) return outcome;
    if ('violation' in outcome) throw new HeapViolation(outcome.violation);
    throw new MemoryFault(outcome.fault);
  }

  private value<V>(result: CommandResult<V>, type: string): V {
    if (!result.ok) throw new CommandRefused(type, result.rejection!);
    return result.value as V;
  }
}
