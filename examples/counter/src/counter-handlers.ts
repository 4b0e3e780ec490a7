import { Rng, handle, react, type CommandHandlers, type Reactor } from '@chronovisor/core';
import { inject } from 'inversify';
import * as counter from './counter-contract';
import { CounterState } from './counter-state';

/** The counter's command handlers: they read the state and decide which events happen. */
export class CounterCommands implements CommandHandlers {
  constructor(
    @inject(CounterState) private readonly counters: CounterState,
    @inject(Rng) private readonly rng: Rng,
  ) {}

  readonly handlers = [
    handle(counter.increment, ({ name, by }, context) => {
      const value = this.counters.value(name) + by;
      if (!Number.isSafeInteger(value))
        throw new counter.CounterError(`Counter "${name}" would overflow`);
      context.emit(counter.incremented, { name, by, value });
    }),
    handle(counter.roll, ({ name, sides }, context) => {
      const by = this.rng.nextInt(1, sides);
      context.emit(counter.incremented, { name, by, value: this.counters.value(name) + by });
    }),
    handle(counter.reset, ({ name }, context) => {
      if (!this.counters.has(name))
        throw new counter.CounterError(`Counter "${name}" does not exist`);
      context.emit(counter.wasReset, { name, from: this.counters.value(name) });
    }),
  ];
}

/** Resets a counter that reached the `wrapAt` option, like an odometer rolling over. */
export class WrapReactor implements Reactor {
  readonly actor = 'plugin:counter';

  constructor(
    @inject(counter.CounterOptions.token) private readonly options: counter.CounterOptions,
  ) {}

  readonly reactions = [
    react(counter.incremented, ({ data: { name, value } }, context) => {
      const { wrapAt } = this.options;
      if (wrapAt !== undefined && value >= wrapAt) context.dispatch(counter.reset, { name });
    }),
  ];
}
