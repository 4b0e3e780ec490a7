import { ChronovisorError } from '@chronovisor/core';

/** A leverage request that cannot be: an unknown chain or resource, an item too big for a slot. */
export class LeverageError extends ChronovisorError {}
