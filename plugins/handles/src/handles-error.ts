import { ChronovisorError } from '@chronovisor/core';

/** A handle request that cannot be met: a full table, a layout that does not fit. */
export class HandlesError extends ChronovisorError {}
