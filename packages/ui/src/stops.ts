import { matching, Watchpoint, type Stop, type WatchKind } from '@chronovisor/timetravel';
import { ApiInputError, parseNumber } from './api-input';

const KINDS: readonly WatchKind[] = ['write', 'read', 'access'];

/**
 * A stop from its text in a request: `break:<type or prefix.>` or
 * `watch:<write|read|access>:<space>:<va>:<length>` (va in hex with 0x, or decimal).
 */
export function parseStop(text: string): Stop {
  const [what, ...rest] = text.split(':');
  if (what === 'break' && rest.length > 0 && rest.join(':') !== '')
    return matching({ type: rest.join(':') });
  if (what === 'watch' && rest.length === 4) {
    const [kind, space, va, length] = rest as [string, string, string, string];
    const numbers = [space, va, length].map(parseNumber);
    if (
      (KINDS as readonly string[]).includes(kind) &&
      numbers.every((x) => Number.isSafeInteger(x) && x >= 0) &&
      numbers[0]! >= 1 &&
      numbers[2]! >= 1
    )
      return new Watchpoint(numbers[0]!, numbers[1]!, numbers[2]!, kind as WatchKind);
  }
  throw new ApiInputError(
    `stop "${text}" is neither break:<type or prefix.> nor watch:<write|read|access>:<space>:<va>:<length>`,
  );
}
