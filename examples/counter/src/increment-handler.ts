import { parserFor, type CommandContext, type CommandHandler } from '@chronovisor/core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { CounterError } from './counter-error';
import { CounterState } from './counter-state';
import type { Increment } from './counter-types';

const incrementSchema = z.object({
  name: z.string().min(1),
  by: z.number().int().default(1),
});

/** `counter.increment`: adds `by` to a counter. */
@injectable()
export class IncrementHandler implements CommandHandler<Required<Increment>> {
  readonly type = 'counter.increment';
  readonly description = 'Add `by` (default 1) to counter `name`.';

  constructor(@inject(CounterState) private readonly counters: CounterState) {}

  readonly parse = parserFor(incrementSchema, `command ${this.type}`);

  execute({ name, by }: Required<Increment>, context: CommandContext): void {
    const value = this.counters.value(name) + by;
    if (!Number.isSafeInteger(value)) throw new CounterError(`Counter "${name}" would overflow`);
    context.emit('counter.value.incremented', { name, by, value });
  }
}
