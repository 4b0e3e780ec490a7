import { ChronovisorError, defineCommand, defineEvent, defineOptions } from '@chronovisor/core';
import type { OptionsOf } from '@chronovisor/core';
import { z } from 'zod';

/** The plugin's options: `wrapAt` makes the wrap reactor reset a counter that reaches it. */
export const CounterOptions = defineOptions(
  '@chronovisor/example-counter:options',
  z.strictObject({ wrapAt: z.number().int().positive().optional() }),
);

export const increment = defineCommand('counter.increment', {
  args: z.object({ name: z.string().min(1), by: z.number().int().default(1) }),
  description: 'Add `by` (default 1) to counter `name`.',
});

export const roll = defineCommand('counter.roll', {
  args: z.object({ name: z.string().min(1), sides: z.number().int().min(2).max(1000) }),
  description: 'Add a roll of a fair die with `sides` sides to counter `name`.',
});

export const reset = defineCommand('counter.reset', {
  args: z.object({ name: z.string().min(1) }),
  description: 'Set counter `name` back to zero; refused for one that does not exist.',
});

export const incremented = defineEvent('counter.value.incremented', {
  data: z.object({ name: z.string(), by: z.number(), value: z.number() }),
  // Version 1 called `by` `amount`; logs written then are read through this upcaster.
  version: 2,
  upcasters: { 1: ({ amount, ...rest }: { amount: number }) => ({ ...rest, by: amount }) },
  description: 'A counter changed by `by`, to `value`.',
});

export const wasReset = defineEvent('counter.value.reset', {
  data: z.object({ name: z.string(), from: z.number() }),
  description: 'A counter went back to zero from `from`.',
});

/** The options as the plugin's services receive them. */
export type CounterOptions = OptionsOf<typeof CounterOptions>;

/** A counter command that makes no sense in the current state. */
export class CounterError extends ChronovisorError {}
