import { parserFor, type CommandContext, type CommandHandler } from '@chronovisor/core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { CounterError } from './counter-error';
import { CounterState } from './counter-state';
import type { Reset } from './counter-types';

const resetSchema = z.object({ name: z.string().min(1) });

/** `counter.reset`: sets a counter back to zero; refused for a counter that does not exist. */
@injectable()
export class ResetHandler implements CommandHandler<Reset> {
  readonly type = 'counter.reset';
  readonly description = 'Set counter `name` back to zero.';

  constructor(@inject(CounterState) private readonly counters: CounterState) {}

  readonly parse = parserFor(resetSchema, `command ${this.type}`);

  execute({ name }: Reset, context: CommandContext): void {
    if (!this.counters.has(name)) throw new CounterError(`Counter "${name}" does not exist`);
    context.emit('counter.value.reset', { name, from: this.counters.value(name) });
  }
}
