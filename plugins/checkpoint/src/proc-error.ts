import { ChronovisorError } from '@chronovisor/core';

/** A process operation that cannot be: an unknown pid, a pid taken, a pinned page, a bad group. */
export class ProcError extends ChronovisorError {}
