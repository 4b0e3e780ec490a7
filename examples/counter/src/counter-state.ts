import { digestOf, on, type Projection, type Query } from '@chronovisor/core';
import { incremented, wasReset } from './counter-contract';

/** The counters' values: the plugin's one projection, and its query for everyone else. */
export class CounterState implements Projection<ReadonlyMap<string, number>>, Query {
  readonly name = 'counter';
  // A few counters: a plain Map, copied whole by a snapshot (see snapshot()).
  private values = new Map<string, number>();

  readonly listeners = [
    on(incremented, ({ data }) => void this.values.set(data.name, data.value)),
    on(wasReset, ({ data }) => void this.values.delete(data.name)),
  ];

  /** A counter's value; 0 for one never incremented. */
  value(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** True once a counter has been incremented (and until it is reset). */
  has(name: string): boolean {
    return this.values.has(name);
  }

  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.values);
  }

  restore(snapshot: ReadonlyMap<string, number>): void {
    this.values = new Map(snapshot);
  }

  digest(): string {
    return digestOf([...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
