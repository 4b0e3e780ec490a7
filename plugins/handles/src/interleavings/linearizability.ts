import { CLOSED_HANDLE_RESOLVED, NO_VIOLATION, WRONG_RESULT } from './model';
import { hex } from './shared-memory';

/** How a resolve ended. */
export const RESOLVED = 0;
export const REJECTED = 1;
/** The walk followed a word that is not a table: in a kernel, an access violation. */
export const FAULTED = 2;

/**
 * What the abstract handle map says about a resolved handle: it is open with `object` from the
 * start, until the churn thread closes it (if it is the churned one), after which a new handle
 * reuses its slot with another object. Every resolved handle is open before the threads start,
 * so these facts and the time of the close are its whole history.
 */
export interface HandleFacts {
  readonly handle: number;
  readonly object: number;
  /** The handle that reuses the slot once this one is closed, and its object (0: never closed). */
  readonly reuseHandle: number;
  readonly reuseObject: number;
}

/**
 * Whether a resolve's result is one the abstract map allowed at some instant of the resolve,
 * between its first step (`start`) and its last: `ok(object)` only if the handle was open with
 * that object at some such instant, a rejection only if it was closed at some such instant.
 * `closedAt` is the step of the close (−1: not closed); the close is one store, so the map
 * changes right after it.
 */
export function judgeResolve(
  facts: HandleFacts,
  result: number,
  object: number,
  start: number,
  closedAt: number,
): number {
  // Closed by a step after the resolve began: open at the instant it began.
  const openSometime = closedAt < 0 || closedAt > start;
  const closedSometime = closedAt >= 0;
  if (result === RESOLVED) {
    if (object === facts.object) return openSometime ? NO_VIOLATION : CLOSED_HANDLE_RESOLVED;
    return facts.reuseObject !== 0 && object === facts.reuseObject
      ? CLOSED_HANDLE_RESOLVED
      : WRONG_RESULT;
  }
  return result === REJECTED && closedSometime ? NO_VIOLATION : WRONG_RESULT;
}

/** A resolve's result in words: `outcome` for any, `message` (one sentence) for a wrong one. */
export function describeResolve(
  thread: string,
  facts: HandleFacts,
  result: number,
  object: number,
  start: number,
  end: number,
  closedAt: number,
): { readonly outcome: string; readonly message: string } {
  const handle = hex(facts.handle);
  const verdict = judgeResolve(facts, result, object, start, closedAt);
  const expected =
    closedAt < 0
      ? `object ${facts.object}`
      : closedAt > start
        ? `object ${facts.object} or a rejection (it was closed at step ${closedAt + 1}, during the resolve)`
        : `a rejection (it was closed at step ${closedAt + 1}, before the resolve)`;
  const seen =
    result === RESOLVED
      ? `resolved handle ${handle} to object ${object}`
      : result === REJECTED
        ? `rejected handle ${handle}`
        : `faulted on handle ${handle} (its walk followed a word that is not a table)`;
  if (verdict === NO_VIOLATION) return { outcome: `${seen}, which is right`, message: '' };
  const reused = facts.reuseObject !== 0 && result === RESOLVED && object === facts.reuseObject;
  const whose = reused
    ? `, the object of handle ${hex(facts.reuseHandle)} that reused its slot after ${handle} was closed`
    : '';
  const message = `${thread} ${seen}${whose}; over its steps ${start + 1}–${end + 1} it should have returned ${expected}`;
  return { outcome: `${seen}, where it should have returned ${expected}`, message };
}
