import {
  ChronovisorError,
  type CommandType,
  type InputOf,
  type ResultOf,
  type Simulation,
} from '@chronovisor/core';
import { MemoryFault, dispatchAccepted } from '@chronovisor/mmu';
import { calloc, free, load, malloc, realloc, store, type Refusal } from './heap-commands';
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
    const space = this.space;
    return this.run(malloc, align === undefined ? { space, size } : { space, size, align });
  }

  calloc(count: number, size: number): number {
    return this.run(calloc, { space: this.space, count, size });
  }

  realloc(ptr: number, size: number): number {
    return this.unwrap(this.run(realloc, { space: this.space, ptr, size })).ptr;
  }

  free(ptr: number): void {
    this.unwrap(this.run(free, { space: this.space, ptr }));
  }

  load(ptr: number, length: number): Uint8Array {
    return this.unwrap(this.run(load, { space: this.space, ptr, length })).bytes;
  }

  store(ptr: number, data: Uint8Array): void {
    this.unwrap(this.run(store, { space: this.space, ptr, data }));
  }

  private run<C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> {
    return dispatchAccepted(this.simulation, command, args, this.actor);
  }

  private unwrap<T extends { ok: true }>(outcome: T | Refusal): T {
    if (outcome.ok) return outcome;
    if ('violation' in outcome) throw new HeapViolation(outcome.violation);
    throw new MemoryFault(outcome.fault);
  }
}
