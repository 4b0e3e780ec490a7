import {
  Observable,
  Subscriber,
  type Observer,
  type Operator,
  type Subscription,
  type TeardownLogic,
} from 'rxjs';

/** An error thrown by an observer of the bus, with the value it was handling. */
export interface SubscriberError {
  readonly error: unknown;
  /** The value the observer was given when it threw; absent for errors from `error`/`complete`. */
  readonly value?: unknown;
}

type ObserverArg<T> = Partial<Observer<T>> | ((value: T) => void) | null | undefined;

/**
 * An Observable whose end observers cannot hurt each other or the publisher. RxJS catches an
 * observer's throw and rethrows it later from a timer, where it kills a Node process and has lost
 * the record that caused it. Here each observer handed to `subscribe` is wrapped so that its throw
 * is caught at once and passed to `report`, and the remaining observers still get the value.
 *
 * Operators keep the guard: `lift` returns another GuardedObservable, so `bus.events$.pipe(…)`
 * is guarded too. RxJS's own subscribers (operators, `firstValueFrom`, `forEach`) pass unwrapped.
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    private readonly report: (error: SubscriberError) => void,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic,
  ) {
    super(subscribe);
  }

  /*
   * RxJS 7 calls `lift` for each operator in a `pipe`; overriding it is how Subject keeps its own
   * class through operators. RxJS 7 marks these members internal, hence the lint exemptions.
   */
  /* eslint-disable @typescript-eslint/no-deprecated */
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new GuardedObservable<R>(this.report);
    lifted.source = this;
    lifted.operator = operator;
    return lifted;
  }
  /* eslint-enable @typescript-eslint/no-deprecated */

  override subscribe(
    observerOrNext?: ObserverArg<T>,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    return super.subscribe(guard(observerOrNext, error, complete, this.report));
  }
}

function guard<T>(
  target: ObserverArg<T>,
  error: ((error: unknown) => void) | null | undefined,
  complete: (() => void) | null | undefined,
  report: (error: SubscriberError) => void,
): Observer<T> {
  const observer: Partial<Observer<T>> =
    typeof target === 'function'
      ? { next: target, ...(error ? { error } : {}), ...(complete ? { complete } : {}) }
      : (target ?? {});
  return {
    next(value) {
      try {
        observer.next?.(value);
      } catch (thrown) {
        report({ error: thrown, value });
      }
    },
    error(err: unknown) {
      if (!observer.error) return report({ error: err });
      try {
        observer.error(err);
      } catch (thrown) {
        report({ error: thrown });
      }
    },
    complete() {
      try {
        observer.complete?.();
      } catch (thrown) {
        report({ error: thrown });
      }
    },
  };
}
