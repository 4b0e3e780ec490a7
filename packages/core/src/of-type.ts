import { filter, type OperatorFunction } from 'rxjs';
import type { EventRecord, LogRecord } from './record';
import type { EventData } from './type-maps';

/** An event of type `T`, with the payload type its plugin declared in {@link EventMap}. */
export type TypedEvent<T extends string> = T extends string
  ? EventRecord<EventData<T>> & { readonly type: T }
  : never;

/** Keeps the events of the given types, typed by their payloads: `records$.pipe(ofType('mmu.page.mapped'))`. */
export function ofType<T extends string>(
  ...types: readonly T[]
): OperatorFunction<LogRecord, TypedEvent<T>> {
  const wanted = new Set<string>(types);
  return filter(
    (record): record is TypedEvent<T> => record.kind === 'event' && wanted.has(record.type),
  );
}
