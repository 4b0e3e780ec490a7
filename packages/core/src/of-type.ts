import { filter, type OperatorFunction } from 'rxjs';
import type { EventType, TypedEvent } from './declarations';
import type { EventRecord, LogRecord } from './record';

/**
 * Keeps the events of the given types, typed by their payloads when named by their declarations:
 * `records$.pipe(ofType(pagesMapped))`. Types named by string pass untyped.
 */
export function ofType<E extends readonly EventType[]>(
  ...types: E
): OperatorFunction<LogRecord, TypedEvent<E[number]>>;
export function ofType(...types: readonly string[]): OperatorFunction<LogRecord, EventRecord>;
export function ofType(
  ...types: readonly (EventType | string)[]
): OperatorFunction<LogRecord, EventRecord> {
  const wanted = new Set<string>(types.map((t) => (typeof t === 'string' ? t : t.type)));
  return filter(
    (record): record is EventRecord => record.kind === 'event' && wanted.has(record.type),
  );
}
