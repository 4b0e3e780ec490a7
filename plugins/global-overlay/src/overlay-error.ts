import { ChronovisorError } from '@chronovisor/core';

/** An overlay request that cannot be: a conflict without a transformer, an unknown version or global. */
export class OverlayError extends ChronovisorError {}
