import { digestOf, on, type Projection, type Query } from '@chronovisor/core';
import { incremented, wasReset } from './counter-contract';

/** The counters' values: the plugin's one projection, and its query for everyone else. */
export class CounterState implements Projection<ReadonlyMap<string, number>>, Query {
  readonly name = 'counter';
  private values = new Map<string, number>();
  /** True while `values` is also held by a snapshot: the next change copies it first. */
  private shared = false;

  readonly listeners = [
    on(incremented, ({ data }) => this.writable().set(data.name, data.value)),
    on(wasReset, ({ data }) => this.writable().delete(data.name)),
  ];

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

  private writable(): Map<string, number> {
    if (this.shared) [this.values, this.shared] = [new Map(this.values), false];
    return this.values;
  }
}
