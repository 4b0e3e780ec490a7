import { PersistentMap, digestOf, on, type Projection, type Query } from '@chronovisor/core';
import { incremented, wasReset } from './counter-contract';

/** The counters' values: the plugin's one projection, and its query for everyone else. */
export class CounterState implements Projection<PersistentMap<string, number>>, Query {
  readonly name = 'counter';
  // A persistent map: each change makes a new map sharing the rest, so a snapshot is the map itself.
  private values: PersistentMap<string, number> = PersistentMap.empty();

  readonly listeners = [
    on(incremented, ({ data }) => (this.values = this.values.set(data.name, data.value))),
    on(wasReset, ({ data }) => (this.values = this.values.delete(data.name))),
  ];

  /** A counter's value; 0 for one never incremented. */
  value(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** True once a counter has been incremented (and until it is reset). */
  has(name: string): boolean {
    return this.values.has(name);
  }

  snapshot(): PersistentMap<string, number> {
    return this.values;
  }

  restore(snapshot: PersistentMap<string, number>): void {
    this.values = snapshot;
  }

  digest(): string {
    return digestOf(this.values.sortedEntries());
  }
}
