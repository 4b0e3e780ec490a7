import { map } from 'rxjs';
import { createEventBus } from './event-bus';
import type { SubscriberError } from './guarded-observable';
import type { EventRecord } from './record';

const event = (seq: number, type = 'test.thing.happened'): EventRecord => ({
  seq,
  tick: 1,
  actor: 'test',
  cause: 0,
  kind: 'event',
  type,
  v: 1,
  data: { seq },
});

describe('EventBus', () => {
  it('keeps delivering to the other observers when one throws, and reports the throw with its record', () => {
    const { bus, publish } = createEventBus();
    const errors: SubscriberError[] = [];
    bus.subscriberErrors$.subscribe((e) => errors.push(e));
    const before: number[] = [];
    const after: number[] = [];
    bus.events$.subscribe((e) => before.push(e.seq));
    bus.events$.subscribe((e) => {
      if (e.seq === 2) throw new Error('observer bug');
    });
    bus.events$.subscribe((e) => after.push(e.seq));

    [1, 2, 3].forEach((seq) => publish(event(seq)));

    expect(before).toEqual([1, 2, 3]);
    expect(after).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!.error)).toBe('Error: observer bug');
    expect(errors[0]!.value).toEqual(event(2));
  });

  it('keeps the guard through operators, and reports an operator error nobody handles', () => {
    const { bus, publish } = createEventBus();
    const errors: SubscriberError[] = [];
    bus.subscriberErrors$.subscribe((e) => errors.push(e));
    const doubled: number[] = [];
    bus.events$
      .pipe(
        map((e) => {
          if (e.seq === 3) throw new Error('map bug');
          return e.seq * 2;
        }),
      )
      .subscribe((n) => {
        if (n === 4) throw new Error('next bug');
        doubled.push(n);
      });
    [1, 2, 3, 4].forEach((seq) => publish(event(seq)));
    expect(doubled).toEqual([2]); // 4 threw in next; the map error at 3 ended that subscription
    expect(errors.map((e) => String(e.error))).toEqual(['Error: next bug', 'Error: map bug']);
  });

  it('filters by type with ofType', () => {
    const { bus, publish } = createEventBus();
    const seen: number[] = [];
    bus.ofType('test.a.happened', 'test.c.happened').subscribe((e) => seen.push(e.seq));
    publish(event(1, 'test.a.happened'));
    publish(event(2, 'test.b.happened'));
    publish(event(3, 'test.c.happened'));
    expect(seen).toEqual([1, 3]);
  });

  it('writes a throw to stderr when nobody watches the errors, and says whether anyone observes', () => {
    const { bus, publish, observed } = createEventBus();
    expect(observed()).toBe(false);
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
    const subscription = bus.events$.subscribe(() => {
      throw new Error('unwatched');
    });
    expect(observed()).toBe(true);
    publish(event(1));
    expect(stderr).toHaveBeenCalledWith(
      'chronovisor: an observer of the event bus threw:',
      new Error('unwatched'),
    );
    stderr.mockRestore();
    subscription.unsubscribe();
    expect(observed()).toBe(false);
  });
});
