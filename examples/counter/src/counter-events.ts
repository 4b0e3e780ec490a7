import type { EventTypeDefinition } from '@chronovisor/core';

/** The event types the counter plugin emits. */
export const COUNTER_EVENTS: readonly EventTypeDefinition[] = [
  {
    type: 'counter.value.incremented',
    // Version 1 called `by` `amount`; logs written then are read through this upcaster.
    version: 2,
    upcasters: {
      1: ({ amount, ...rest }: { name: string; amount: number; value: number }) => ({
        ...rest,
        by: amount,
      }),
    },
    description: 'A counter changed by `by`, to `value`.',
  },
  { type: 'counter.value.reset', description: 'A counter went back to zero from `from`.' },
];
