import { z } from 'zod';

/** Token of the counter plugin's options. */
export const CounterOptions = Symbol.for('@chronovisor/example-counter:CounterOptions');

/** The counter plugin's options, checked. */
export const counterOptionsSchema = z
  .object({
    /** When a counter reaches this value, the wrap reactor resets it. */
    wrapAt: z.number().int().positive().optional(),
  })
  .strict();

/** The counter plugin's options. */
export type CounterOptions = z.infer<typeof counterOptionsSchema>;
