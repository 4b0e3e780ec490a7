import { ChronovisorError } from '@chronovisor/core';

/** A counter command that makes no sense in the current state. */
export class CounterError extends ChronovisorError {}
