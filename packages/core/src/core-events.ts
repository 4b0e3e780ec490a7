import { z } from 'zod';
import { defineEvent } from './declarations';

/**
 * A reactor failed: it threw (`command` absent; what it had issued for that event was dropped), or
 * a command it issued was refused (`command` names it; nothing that command emitted was kept).
 */
export const reactionFailed = defineEvent('core.reaction.failed', {
  data: z.object({
    reactor: z.string(),
    command: z.string().optional(),
    error: z.string(),
    message: z.string(),
  }),
  description: 'A reactor threw, or a command it issued was refused.',
});

/** The kernel's own event types. */
export const CORE_EVENTS = [reactionFailed] as const;
