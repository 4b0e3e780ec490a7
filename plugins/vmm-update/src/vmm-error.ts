import { ChronovisorError } from '@chronovisor/core';

/** A VMM operation that cannot be: no VMM installed, an unknown guest, an update already running. */
export class VmmError extends ChronovisorError {}
