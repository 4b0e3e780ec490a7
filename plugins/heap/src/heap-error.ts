import { ChronovisorError } from '@chronovisor/core';

/** A heap request that cannot be met (out of memory, a layout that does not fit). */
export class HeapError extends ChronovisorError {}
