import type { Generation, Stamp } from './generation';
import type { Geometry } from './geometry';
import { MultisetHash, arrayBytes, typedArrayBytes, type Footprint } from '@chronovisor/core';

interface Leaf {
  gen: Stamp;
  readonly ptes: Float64Array;
}

interface Inner {
  gen: Stamp;
  readonly children: (Node | undefined)[];
}

type Node = Leaf | Inner;

/** A captured page table: its root and its count of entries. */
export interface PageTableSnapshot {
  readonly root: Node;
  readonly entries: number;
  readonly hash: readonly [number, number];
}

/**
 * A multi-level radix page table, as x86-64 and ARMv8 walk it: `levels` levels of 2^bits entries
 * each, indexed by successive bit fields of the virtual page number, the last level holding
 * entries (see {@link Pte}). It is persistent: nodes are copied along the path on the first change
 * after a snapshot (path copying), so a snapshot shares every untouched node.
 */
export class PageTable {
  private root: Node;
  private count = 0;
  /** Of every (vpn, entry) pair, kept as entries change, so a digest never walks the table. */
  readonly hash = new MultisetHash();
  private readonly fanout: number;
  /** divisors[l] = 2^(bits × (levels − 1 − l)): the part of a vpn below level l's index. */
  private readonly divisors: number[];

  constructor(
    private readonly geometry: Geometry,
    private readonly generation: Generation,
  ) {
    this.fanout = 2 ** geometry.bitsPerLevel;
    this.divisors = Array.from(
      { length: geometry.levels },
      (_, l) => 2 ** (geometry.bitsPerLevel * (geometry.levels - 1 - l)),
    );
    this.root = this.newNode(geometry.levels === 1);
  }

  /** Number of non-zero entries. */
  get entries(): number {
    return this.count;
  }

  /** The entry for a virtual page number; 0 when nothing is mapped there. */
  get(vpn: number): number {
    let node: Node | undefined = this.root;
    const last = this.geometry.levels - 1;
    for (let level = 0; level < last; level++) {
      node = (node as Inner).children[Math.floor(vpn / this.divisors[level]!) % this.fanout];
      if (node === undefined) return 0;
    }
    return (node as Leaf).ptes[vpn % this.fanout]!;
  }

  /** Sets the entry for a virtual page number (0 clears it), copying shared nodes on the way. */
  set(vpn: number, pte: number): void {
    const gen = this.generation.stamp;
    if (this.root.gen !== gen) this.root = this.copy(this.root);
    let node = this.root;
    const last = this.geometry.levels - 1;
    for (let level = 0; level < last; level++) {
      const children = (node as Inner).children;
      const at = Math.floor(vpn / this.divisors[level]!) % this.fanout;
      let child = children[at];
      if (child === undefined) {
        if (pte === 0) return;
        child = this.newNode(level + 1 === last);
        children[at] = child;
      } else if (child.gen !== gen) {
        child = this.copy(child);
        children[at] = child;
      }
      node = child;
    }
    const ptes = (node as Leaf).ptes;
    const at = vpn % this.fanout;
    const before = ptes[at]!;
    if (before === pte) return;
    if (before !== 0) this.hash.addPair(vpn, before, -1);
    else this.count++;
    if (pte !== 0) this.hash.addPair(vpn, pte, 1);
    else this.count--;
    ptes[at] = pte;
  }

  /** Calls `visit` for every non-zero entry, in ascending virtual page order. */
  forEach(visit: (vpn: number, pte: number) => void): void {
    const walk = (node: Node, level: number, base: number): void => {
      if (level === this.geometry.levels - 1) {
        const ptes = (node as Leaf).ptes;
        for (let i = 0; i < ptes.length; i++) if (ptes[i] !== 0) visit(base + i, ptes[i]!);
        return;
      }
      (node as Inner).children.forEach((child, i) => {
        if (child !== undefined) walk(child, level + 1, base + i * this.divisors[level]!);
      });
    };
    walk(this.root, 0, 0);
  }

  /** Counts, into `footprint`, the nodes of a snapshot not met yet (shared subtrees are skipped whole). */
  static measure(snapshot: PageTableSnapshot, footprint: Footprint): void {
    const walk = (node: Node): void => {
      if ('ptes' in node) {
        footprint.add(node, typedArrayBytes(node.ptes));
        return;
      }
      if (!footprint.add(node, arrayBytes(node.children.length))) return;
      for (const child of node.children) if (child !== undefined) walk(child);
    };
    walk(snapshot.root);
  }

  snapshot(): PageTableSnapshot {
    return { root: this.root, entries: this.count, hash: this.hash.value };
  }

  restore(snapshot: PageTableSnapshot): void {
    this.root = snapshot.root;
    this.count = snapshot.entries;
    this.hash.set(snapshot.hash);
  }

  private newNode(leaf: boolean): Node {
    const gen = this.generation.stamp;
    const node = leaf
      ? { gen, ptes: new Float64Array(this.fanout) }
      : { gen, children: new Array<Node | undefined>(this.fanout) };
    this.generation.allocatedBytes += leaf ? typedArrayBytes(node.ptes!) : arrayBytes(this.fanout);
    return node;
  }

  private copy(node: Node): Node {
    const gen = this.generation.stamp;
    if ('ptes' in node) {
      const ptes = node.ptes.slice();
      this.generation.allocatedBytes += typedArrayBytes(ptes);
      return { gen, ptes };
    }
    this.generation.allocatedBytes += arrayBytes(node.children.length);
    return { gen, children: node.children.slice() };
  }
}
