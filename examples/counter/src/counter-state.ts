import { digestOf, type EventRecord, type Projection, type Query } from '@chronovisor/core';
import { injectable } from 'inversify';
import type { ValueIncremented, ValueReset } from './counter-types';

/** The counters' values: the plugin's one projection, and its query for everyone else. */
@injectable()
export class CounterState implements Projection<ReadonlyMap<string, number>>, Query {
  readonly name = 'counter';
  readonly eventTypes = ['counter.value.incremented', 'counter.value.reset'];

  private values = new Map<string, number>();
  /** True while `values` is also held by a snapshot: the next change copies it first. */
  private shared = false;

  /** A counter's value; 0 for one never incremented. */
  value(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** True once a counter has been incremented (and until it is reset). */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Every counter, by name. */
  all(): ReadonlyMap<string, number> {
    return this.values;
  }

  apply(event: EventRecord): void {
    if (this.shared) {
      this.values = new Map(this.values);
      this.shared = false;
    }
    if (event.type === 'counter.value.incremented') {
      const { name, value } = event.data as ValueIncremented;
      this.values.set(name, value);
    } else {
      this.values.delete((event.data as ValueReset).name);
    }
  }

  // Copy on write: a snapshot costs nothing now, and the first change after it copies the map.
  snapshot(): ReadonlyMap<string, number> {
    this.shared = true;
    return this.values;
  }

  restore(snapshot: ReadonlyMap<string, number>): void {
    this.values = snapshot as Map<string, number>;
    this.shared = true;
  }

  digest(): string {
    return digestOf([...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
