import { ChronovisorError } from '@chronovisor/core';

/** Exit codes: 0 success, 1 a verification failure or divergence, 2 bad input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Bad input the command can name: a missing file, a malformed config, an unknown plugin. */
export class CliError extends ChronovisorError {}
