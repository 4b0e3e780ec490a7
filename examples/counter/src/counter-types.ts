/** Arguments of `counter.increment`. */
export interface Increment {
  readonly name: string;
  /** Default 1; may be negative. */
  readonly by?: number;
}

/** Arguments of `counter.roll`: add a fair die roll of 1..sides. */
export interface Roll {
  readonly name: string;
  readonly sides: number;
}

/** Arguments of `counter.reset`. */
export interface Reset {
  readonly name: string;
}

/** Payload of `counter.value.incremented`. */
export interface ValueIncremented {
  readonly name: string;
  readonly by: number;
  /** The value after the increment. */
  readonly value: number;
}

/** Payload of `counter.value.reset`. */
export interface ValueReset {
  readonly name: string;
  /** The value before the reset. */
  readonly from: number;
}

// Typing the commands and events makes `simulation.dispatch('counter.increment', …)` and
// `bus.ofType('counter.value.incremented')` check their payloads.
declare module '@chronovisor/core' {
  interface CommandMap {
    'counter.increment': Increment;
    'counter.roll': Roll;
    'counter.reset': Reset;
  }
  interface EventMap {
    'counter.value.incremented': ValueIncremented;
    'counter.value.reset': ValueReset;
  }
}
