import { digestOf, on, type Projection } from '@chronovisor/core';
import {
  chainCreated,
  itemAdmitted,
  itemHeld,
  itemReceived,
  itemSettled,
  moduleFailed,
  nicAttached,
  type ChainCreated,
} from './leverage-events';

/** An item in the guest's ring, waiting for the modules. */
export interface RingItem {
  readonly item: number;
  readonly slot: number;
  readonly gpa: number;
  readonly length: number;
}

/** Where a chain's items are, and what became of them. */
export interface ChainCounts {
  readonly received: number;
  readonly returned: number;
  readonly consumed: number;
  readonly dropped: number;
  /** Items whose path failed (a module timed out or crashed), returned or dropped by the policy. */
  readonly failed: number;
  readonly held: number;
  readonly bytesCopied: number;
  readonly bytesShared: number;
  /** Guest module time spent, µs. */
  readonly micros: number;
}

/** A chain as it runs: its configuration, its ring and the items waiting at the host. */
export interface Chain extends ChainCreated {
  readonly ring: number;
  readonly queue: readonly RingItem[];
  readonly waiting: readonly { readonly item: number; readonly data: Uint8Array }[];
  readonly counts: ChainCounts;
}

/** What a snapshot holds: small maps of immutable records. */
export interface LeverageSnapshot {
  readonly chains: ReadonlyMap<string, Chain>;
  readonly nics: ReadonlyMap<string, string>;
  readonly items: number;
}

const NO_COUNTS: ChainCounts = {
  received: 0,
  returned: 0,
  consumed: 0,
  dropped: 0,
  failed: 0,
  held: 0,
  bytesCopied: 0,
  bytesShared: 0,
  micros: 0,
};

/** Chains, the host resources routed through them, and every item's place: the plugin's projection. */
export class LeverageState implements Projection<LeverageSnapshot> {
  readonly name = 'guest-leverage';

  private chains = new Map<string, Chain>();
  private nics = new Map<string, string>();
  private items = 0;

  readonly listeners = [
    on(chainCreated, ({ data }) =>
      this.put({ ...data, queue: [], waiting: [], counts: NO_COUNTS }),
    ),
    on(nicAttached, ({ data }) => {
      this.nics = new Map(this.nics).set(data.nic, data.chain);
    }),
    on(itemReceived, ({ data }) => {
      this.items = data.item;
      this.count(data.chain, { received: 1 });
    }),
    on(itemHeld, ({ data }) => {
      const c = this.live(data.chain);
      this.put({ ...c, waiting: [...c.waiting, { item: data.item, data: data.data }] });
      this.count(data.chain, { held: 1 });
    }),
    on(itemAdmitted, ({ data }) => {
      const c = this.live(data.chain);
      this.put({
        ...c,
        queue: [
          ...c.queue,
          { item: data.item, slot: data.slot, gpa: data.gpa, length: data.length },
        ],
        waiting: c.waiting.filter((w) => w.item !== data.item),
      });
      const shared = data.mode === 'shared' ? data.length : 0;
      this.count(data.chain, { bytesCopied: data.copied, bytesShared: shared });
    }),
    on(moduleFailed, ({ data }) => this.count(data.chain, { failed: 1 })),
    on(itemSettled, ({ data }) => {
      const c = this.live(data.chain);
      this.put({ ...c, queue: c.queue.filter((q) => q.item !== data.item) });
      this.count(data.chain, { [data.fate]: 1, micros: data.micros });
    }),
  ];

  chain(name: string): Chain | undefined {
    return this.chains.get(name);
  }

  allChains(): Chain[] {
    return [...this.chains.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The chain a host resource's data goes through. */
  chainOf(nic: string): string | undefined {
    return this.nics.get(nic);
  }

  /** The last item id given. */
  get lastItem(): number {
    return this.items;
  }

  snapshot(): LeverageSnapshot {
    return { chains: this.chains, nics: this.nics, items: this.items };
  }

  restore(snapshot: LeverageSnapshot): void {
    this.chains = snapshot.chains as Map<string, Chain>;
    this.nics = snapshot.nics as Map<string, string>;
    this.items = snapshot.items;
  }

  digest(): string {
    return digestOf([
      this.allChains().map((c) => ({ ...c, waiting: c.waiting.map((w) => [w.item, [...w.data]]) })),
      [...this.nics].sort(),
      this.items,
    ]);
  }

  private put(c: Chain): void {
    this.chains = new Map(this.chains).set(c.name, c);
  }

  private live(name: string): Chain {
    const c = this.chains.get(name);
    if (!c) throw new Error(`Chain ${name} is not known: its leverage.chain.created is missing`);
    return c;
  }

  private count(name: string, by: Partial<Record<keyof ChainCounts, number>>): void {
    const c = this.live(name);
    const counts = { ...c.counts };
    for (const [k, v] of Object.entries(by)) counts[k as keyof ChainCounts] += v;
    this.put({ ...c, counts });
  }
}
