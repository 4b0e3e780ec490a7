import { ChronovisorError } from '@chronovisor/core';

/**
 * A checkpoint image that cannot be written, read, sealed or unsealed: one sentence naming the
 * file, and where it helps the byte offset, the frame (its index) or the manifest field
 * (`processes[3].memory[0].frames[2]`).
 */
export class CheckpointImageError extends ChronovisorError {}
