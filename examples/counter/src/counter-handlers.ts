import { Rng, handle, react, type CommandHandlers, type Reactor } from '@chronovisor/core';
import { inject } from 'inversify';
import {
  CounterError,
  CounterOptions,
  incremented,
  increment,
  reset,
  roll,
  wasReset,
} from './counter-contract';
import type { OptionsOf } from '@chronovisor/core';
import { CounterState } from './counter-state';

/** The counter's command handlers: they read the state and decide which events happen. */
export class CounterCommands implements CommandHandlers {
  constructor(
    @inject(CounterState) private readonly counters: CounterState,
    @inject(Rng) private readonly rng: Rng,
  ) {}

  readonly handlers = [
    handle(increment, ({ name, by }, context) => {
      const value = this.counters.value(name) + by;
      if (!Number.isSafeInteger(value)) throw new CounterError(`Counter "${name}" would overflow`);
      context.emit(incremented, { name, by, value });
    }),
    handle(roll, ({ name, sides }, context) => {
      const by = this.rng.nextInt(1, sides);
      context.emit(incremented, { name, by, value: this.counters.value(name) + by });
    }),
    handle(reset, ({ name }, context) => {
      if (!this.counters.has(name)) throw new CounterError(`Counter "${name}" does not exist`);
      context.emit(wasReset, { name, from: this.counters.value(name) });
    }),
  ];
}

/** Resets a counter that reached the `wrapAt` option, like an odometer rolling over. */
export class WrapReactor implements Reactor {
  readonly actor = 'plugin:counter';

  constructor(
    @inject(CounterOptions.token) private readonly options: OptionsOf<typeof CounterOptions>,
  ) {}

  readonly reactions = [
    react(incremented, ({ data: { name, value } }, context) => {
      const { wrapAt } = this.options;
      if (wrapAt !== undefined && value >= wrapAt) context.dispatch(reset, { name });
    }),
  ];
}
