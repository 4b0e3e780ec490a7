import { ChronovisorError } from '@chronovisor/core';

/** A heap request that cannot be met (out of memory, no heap in a guest space). */
export class HeapError extends ChronovisorError {}
