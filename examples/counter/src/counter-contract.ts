import { ChronovisorError, defineCommand, defineEvent, defineOptions } from '@chronovisor/core';
import { z } from 'zod';

/** The counter plugin's options. */
export const CounterOptions = defineOptions(
  '@chronovisor/example-counter:options',
  z.strictObject({
    /** When a counter reaches this value, the wrap reactor resets it. */
    wrapAt: z.number().int().positive().optional(),
  }),
);

/** Adds `by` (default 1) to a counter. */
export const increment = defineCommand('counter.increment', {
  args: z.object({ name: z.string().min(1), by: z.number().int().default(1) }),
  description: 'Add `by` (default 1) to counter `name`.',
});

/** Adds a fair die roll of 1..sides, drawn from the simulation's seeded RNG. */
export const roll = defineCommand('counter.roll', {
  args: z.object({ name: z.string().min(1), sides: z.number().int().min(2).max(1000) }),
  description: 'Add a roll of a fair die with `sides` sides to counter `name`.',
});

/** Sets a counter back to zero; refused for a counter that does not exist. */
export const reset = defineCommand('counter.reset', {
  args: z.object({ name: z.string().min(1) }),
  description: 'Set counter `name` back to zero.',
});

/** A counter changed by `by`, to `value`. */
export const incremented = defineEvent('counter.value.incremented', {
  data: z.object({ name: z.string(), by: z.number(), value: z.number() }),
  // Version 1 called `by` `amount`; logs written then are read through this upcaster.
  version: 2,
  upcasters: { 1: ({ amount, ...rest }) => ({ ...rest, by: amount }) },
  description: 'A counter changed by `by`, to `value`.',
});

/** A counter went back to zero from `from`. */
export const wasReset = defineEvent('counter.value.reset', {
  data: z.object({ name: z.string(), from: z.number() }),
  description: 'A counter went back to zero from `from`.',
});

/** A counter command that makes no sense in the current state. */
export class CounterError extends ChronovisorError {}
