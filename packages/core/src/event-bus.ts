import { Subject, filter, type Observable } from 'rxjs';
import { GuardedObservable, type SubscriberError } from './guarded-observable';
import type { EventType, TypedEvent } from './declarations';
import { ofType } from './of-type';
import type { EventRecord, LogRecord } from './record';

/** Token of the simulation's event bus. */
export const EventBus = Symbol.for('@chronovisor/core:EventBus');

/**
 * The public observation surface of a simulation: every record, in log order, after it has been
 * applied and stored. For the CLI, the debugger and users' own observers; plugins react through
 * {@link Reactor}s instead, which the kernel calls directly. Only the kernel publishes.
 *
 * Error policy: an observer that throws is reported on {@link EventBus.subscriberErrors$} (or,
 * when nobody watches that, on stderr), and every other observer still gets the record. The
 * simulation is never affected.
 */
export interface EventBus {
  /** Commands and events. */
  readonly records$: Observable<LogRecord>;
  /** Events only. */
  readonly events$: Observable<EventRecord>;
  /** Errors thrown by observers of this bus. */
  readonly subscriberErrors$: Observable<SubscriberError>;
  /** Events of the given types, typed by their payloads when named by their declarations. */
  ofType<E extends readonly EventType[]>(...types: E): Observable<TypedEvent<E[number]>>;
  ofType(...types: readonly string[]): Observable<EventRecord>;
}

/** What the kernel holds: the bus to hand out, and the only way to publish on it. */
export interface EventBusController {
  readonly bus: EventBus;
  /** True when somebody observes the bus, so the kernel can skip publishing to nobody. */
  readonly observed: () => boolean;
  readonly publish: (record: LogRecord) => void;
  readonly complete: () => void;
}

/** Creates a bus and its controller; the kernel keeps the controller to itself. */
export function createEventBus(): EventBusController {
  const records = new Subject<LogRecord>();
  const errors = new Subject<SubscriberError>();
  const report = (error: SubscriberError): void => {
    if (errors.observed) errors.next(error);
    else console.error('chronovisor: an observer of the event bus threw:', error.error);
  };
  const records$ = new GuardedObservable<LogRecord>(report, (subscriber) =>
    records.subscribe(subscriber),
  );
  const bus: EventBus = {
    records$,
    events$: records$.pipe(filter((record): record is EventRecord => record.kind === 'event')),
    subscriberErrors$: errors.asObservable(),
    ofType: (...types: readonly (EventType | string)[]) =>
      records$.pipe(ofType(...(types as string[]))),
  };
  return {
    bus,
    observed: () => records.observed,
    publish: (record) => records.next(record),
    complete: () => {
      records.complete();
      errors.complete();
    },
  };
}
