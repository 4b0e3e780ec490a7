import { ChronovisorError } from '@chronovisor/core';

/**
 * A capture that cannot be read or written: one sentence naming the file, and where it helps the
 * byte offset and the packet (its 0-based index in file order) at fault.
 */
export class PcapError extends ChronovisorError {}
