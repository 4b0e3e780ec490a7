import { ChronovisorError } from '@chronovisor/core';

/**
 * A snapshot image that cannot be written or read: one sentence naming the file, and where it
 * helps the byte offset, the page (its number in the index and its gpa) or the manifest field.
 */
export class ImageError extends ChronovisorError {}
