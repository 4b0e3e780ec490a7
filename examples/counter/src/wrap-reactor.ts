import type { EventRecord, Reactor, ReactorContext } from '@chronovisor/core';
import { inject, injectable } from 'inversify';
import { CounterOptions } from './counter-options';
import type { ValueIncremented } from './counter-types';

/** Resets a counter that reached the `wrapAt` option, like an odometer rolling over. */
@injectable()
export class WrapReactor implements Reactor {
  readonly actor = 'plugin:counter';
  readonly eventTypes = ['counter.value.incremented'];

  constructor(@inject(CounterOptions) private readonly options: CounterOptions) {}

  react(event: EventRecord, context: ReactorContext): void {
    const { name, value } = event.data as ValueIncremented;
    if (this.options.wrapAt !== undefined && value >= this.options.wrapAt) {
      context.dispatch('counter.reset', { name });
    }
  }
}
