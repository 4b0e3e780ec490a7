/** Token of the simulated clock. */
export const Clock = Symbol.for('@chronovisor/core:Clock');

/**
 * Simulated time, the only time plugin logic may read. It is a logical clock: it advances by one
 * tick for each command that enters the simulation from outside, and commands caused by those
 * (reactors' commands) happen in the same tick. So time depends only on the command stream, and a
 * replay or re-execution sees exactly the times the original run saw.
 */
export interface Clock {
  /** The current tick; 0 before the first command. */
  readonly tick: number;
}

/** The kernel's clock; only the kernel moves it. */
export class ClockImpl implements Clock {
  tick = 0;
}
