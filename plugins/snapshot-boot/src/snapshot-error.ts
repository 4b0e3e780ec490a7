import { ChronovisorError } from '@chronovisor/core';

/** A snapshot request that cannot be met: an unknown image, a name taken, no working set yet. */
export class SnapshotError extends ChronovisorError {}
