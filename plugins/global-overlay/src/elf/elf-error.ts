import { ChronovisorError } from '@chronovisor/core';

/**
 * An ELF file whose globals cannot be read: one sentence naming the file, the part at fault (the
 * ELF header, a section header, a section's contents, a symbol) and where it helps its byte offset.
 */
export class ElfError extends ChronovisorError {}
