import {
  ChronovisorError,
  type CommandType,
  type InputOf,
  type ResultOf,
  type Simulation,
} from '@chronovisor/core';
import { dispatchAccepted } from '@chronovisor/mmu';
import { close, create, duplicate, fork, resolve, type HandleRefusal } from './handles-commands';
import type { HandleRejected } from './handles-events';

/** A handle the table refused, thrown by {@link HandlesClient}. */
export class HandleRejection extends ChronovisorError {
  constructor(readonly rejection: HandleRejected) {
    super(
      `${rejection.reason} handle 0x${rejection.handle.toString(16)} refused by ${rejection.op} in space ${rejection.space}` +
        (rejection.entry
          ? ` (slot ${rejection.index} carries identifier ${rejection.entry.identifier}, the handle ${rejection.identifier})`
          : ''),
    );
  }
}

/**
 * A process's view of its handle table, for scenarios and tests: each call a recorded command. A
 * refused handle throws {@link HandleRejection} (it is recorded all the same); a refused command
 * throws {@link CommandRefused}.
 */
export class HandlesClient {
  constructor(
    private readonly simulation: Simulation,
    readonly space: number,
    private readonly actor = 'user',
  ) {}

  create(type: string, name?: string): number {
    const space = this.space;
    return this.run(create, name === undefined ? { space, type } : { space, type, name });
  }

  /** Another handle to the same object, here or in space `to`. */
  duplicate(handle: number, to?: number): number {
    const space = this.space;
    const args = to === undefined ? { space, handle } : { space, handle, to };
    return this.unwrap(this.run(duplicate, args)).handle;
  }

  close(handle: number): void {
    this.unwrap(this.run(close, { space: this.space, handle }));
  }

  /** The object the handle names (of `type`, if given). */
  resolve(handle: number, type?: string): number {
    const space = this.space;
    const args = type === undefined ? { space, handle } : { space, handle, type };
    return this.unwrap(this.run(resolve, args)).object;
  }

  /** Forks this process; the child's client, which holds every handle at its value. */
  fork(): HandlesClient {
    return new HandlesClient(this.simulation, this.run(fork, { space: this.space }), this.actor);
  }

  private run<C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> {
    return dispatchAccepted(this.simulation, command, args, this.actor);
  }

  private unwrap<T extends { ok: true }>(outcome: T | HandleRefusal): T {
    if (outcome.ok) return outcome;
    throw new HandleRejection(outcome.rejection);
  }
}
