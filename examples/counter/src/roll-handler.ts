import { Rng, parserFor, type CommandContext, type CommandHandler } from '@chronovisor/core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { CounterState } from './counter-state';
import type { Roll } from './counter-types';

const rollSchema = z.object({
  name: z.string().min(1),
  sides: z.number().int().min(2).max(1000),
});

/** `counter.roll`: adds a fair die roll, drawn from the simulation's seeded RNG. */
@injectable()
export class RollHandler implements CommandHandler<Roll> {
  readonly type = 'counter.roll';
  readonly description = 'Add a roll of a fair die with `sides` sides to counter `name`.';

  constructor(
    @inject(CounterState) private readonly counters: CounterState,
    @inject(Rng) private readonly rng: Rng,
  ) {}

  readonly parse = parserFor(rollSchema, `command ${this.type}`);

  execute({ name, sides }: Roll, context: CommandContext): void {
    const by = this.rng.nextInt(1, sides);
    context.emit('counter.value.incremented', { name, by, value: this.counters.value(name) + by });
  }
}
