import { Footprint, arrayBytes, digestOf, on, type Projection } from '@chronovisor/core';
import { spaceForked } from '@chronovisor/mmu';
import { Heap, type HeapData, type HeapVersion } from './heap';
import {
  blockAllocated,
  blockFreed,
  blockResized,
  regionCreated,
  regionExtended,
  stateRestored,
  violationDetected,
  type ViolationDetected,
} from './heap-events';
import { RECORD_BYTES } from './heap-footprint';

/** A violation as the heap keeps it: the event's seq and payload. */
export interface Violation extends ViolationDetected {
  readonly seq: number;
}

/**
 * What a stretch of work between two snapshots made, and the snapshot (or restored one) it
 * started from: how `snapshotBytes` tells what several snapshots share without seeing the nodes
 * of the persistent maps.
 */
interface Link {
  readonly made: number;
  readonly parent: Link | undefined;
}

/** What a snapshot of the heaps holds: each heap's version, O(1) to take, and the violations. */
export interface HeapSnapshot {
  readonly heaps: ReadonlyMap<number, HeapVersion>;
  /** The violations are the first `violationCount` of this list, which only grows past them. */
  readonly violations: readonly Violation[];
  readonly violationCount: number;
  /** @internal What the state made up to this snapshot, for `snapshotBytes`. */
  readonly link: Link;
  /** @internal About the memory the state took when it was taken. */
  readonly bytes: number;
}

/** A heap snapshot as plain data, to keep in a file. */
export interface HeapSnapshotData {
  readonly heaps: readonly HeapData[];
  readonly violations: readonly Violation[];
}

/** A snapshot's own object, its map of versions and their objects. */
const SNAPSHOT_BYTES = 256;

/**
 * Every space's heap: the heap plugin's projection. Each heap is one object for its whole life
 * ({@link Heap}), whose maps a snapshot takes the roots of, O(1) per heap, sharing everything with
 * the live state; a write after it copies the nodes it reaches, once. The violations are an
 * append-only list a snapshot holds with its length.
 */
export class HeapState implements Projection<HeapSnapshot> {
  readonly name = 'heap';

  private readonly heaps = new Map<number, Heap>();
  private violationList: Violation[] = [];
  private violationCount = 0;
  /** Bytes made by heaps since dropped by a restore, and by snapshots and lists. */
  private madeElsewhere = 0;
  /** What was made when the last snapshot was taken or restored, and that snapshot's link. */
  private mark = 0;
  private link: Link | undefined = undefined;

  readonly listeners = [
    on(regionCreated, ({ data }) => {
      const heap = new Heap(data);
      this.heaps.set(data.space, heap);
    }),
    on(regionExtended, ({ data }) => this.live(data.space).applyExtended(data)),
    on(blockAllocated, ({ data, seq }) => this.live(data.space).applyAllocated(data, seq)),
    on(blockFreed, ({ data, seq }) => this.live(data.space).applyFreed(data, seq)),
    on(blockResized, ({ data }) => this.live(data.space).applyResized(data)),
    // The violations stay with the run that saw them: the heap comes back without them.
    on(stateRestored, ({ data }) =>
      this.heaps.set(data.space, Heap.fromData({ ...data.heap, violations: [] })),
    ),
    // fork(2) copies the heap with the memory: the child allocates on from the parent's state
    // (its blocks, free chunks and freed blocks), in its own copy.
    on(spaceForked, ({ data }) => {
      const parent = this.dataOf(data.parent);
      if (parent)
        this.heaps.set(
          data.child,
          Heap.fromData({ ...parent, created: { ...parent.created, space: data.child } }),
        );
    }),
    on(violationDetected, ({ data, seq }) => {
      this.live(data.space).applyViolation(data, seq);
      this.append({ seq, ...data });
    }),
  ];

  /** The space's heap: the live object, the same for as long as the heap exists. */
  heap(space: number): Heap | undefined {
    return this.heaps.get(space);
  }

  /** The space's heap as plain data (what travels with its process), if it has one. */
  dataOf(space: number): HeapData | undefined {
    const heap = this.heaps.get(space);
    return heap && Heap.toData(heap.capture(), []);
  }

  allHeaps(): IterableIterator<Heap> {
    return this.heaps.values();
  }

  /** Every violation so far, in order. */
  violations(): readonly Violation[] {
    const list = this.violationList;
    return list.length === this.violationCount ? list : list.slice(0, this.violationCount);
  }

  snapshot(): HeapSnapshot {
    this.madeElsewhere += SNAPSHOT_BYTES;
    const made = this.allocatedBytes();
    const link: Link = { made: made - this.mark, parent: this.link };
    this.link = link;
    this.mark = made;
    const heaps = new Map<number, HeapVersion>();
    let bytes =
      SNAPSHOT_BYTES + arrayBytes(this.violationCount) + this.violationCount * RECORD_BYTES;
    for (const [space, heap] of this.heaps) {
      heaps.set(space, heap.capture());
      bytes += heap.treeBytes;
    }
    return {
      heaps,
      violations: this.violationList,
      violationCount: this.violationCount,
      link,
      bytes,
    };
  }

  restore(snapshot: HeapSnapshot): void {
    for (const [space, heap] of this.heaps) {
      const version = snapshot.heaps.get(space);
      if (version === undefined || version.created !== heap.created) {
        this.madeElsewhere += heap.made;
        this.heaps.delete(space);
      }
    }
    for (const [space, version] of snapshot.heaps) {
      let heap = this.heaps.get(space);
      if (!heap) this.heaps.set(space, (heap = new Heap(version.created)));
      heap.reset(version);
    }
    this.violationList = snapshot.violations as Violation[];
    this.violationCount = snapshot.violationCount;
    this.link = snapshot.link;
    this.mark = this.allocatedBytes();
  }

  snapshotToData(snapshot: HeapSnapshot): HeapSnapshotData {
    const violations = snapshot.violations.slice(0, snapshot.violationCount);
    return {
      heaps: [...snapshot.heaps.values()].map((version) => Heap.toData(version, violations)),
      violations,
    };
  }

  snapshotFromData(data: unknown): HeapSnapshot {
    const { heaps, violations } = data as HeapSnapshotData;
    const versions = new Map<number, HeapVersion>();
    let bytes = SNAPSHOT_BYTES + arrayBytes(violations.length) + violations.length * RECORD_BYTES;
    for (const heapData of heaps) {
      const heap = Heap.fromData(heapData);
      versions.set(heap.space, heap.capture());
      bytes += heap.treeBytes;
    }
    return {
      heaps: versions,
      violations: violations.slice(),
      violationCount: violations.length,
      link: { made: bytes, parent: undefined },
      bytes,
    };
  }

  /**
   * About the memory these snapshots hold together, each part once however many share it. The
   * persistent maps do not show their nodes, so it is told from what was made: a snapshot holds
   * at most what was made in the stretches of work leading up to it, back as far as its own size
   * reaches; stretches several snapshots lead back through count once.
   */
  snapshotBytes(snapshots: readonly HeapSnapshot[]): number {
    const footprint = new Footprint();
    for (const snapshot of snapshots) {
      let left = snapshot.bytes;
      for (let link: Link | undefined = snapshot.link; link && left > 0; link = link.parent) {
        footprint.add(link, link.made);
        left -= link.made;
      }
    }
    return footprint.bytes;
  }

  /**
   * Bytes of state made so far, a running count: the nodes writes to the maps copy or add, the
   * records they add, snapshots' own objects and copied lists (estimates).
   */
  allocatedBytes(): number {
    let made = this.madeElsewhere;
    for (const heap of this.heaps.values()) made += heap.made;
    return made;
  }

  /** Every heap's state, by space, and the number of violations: O(heaps). */
  digest(): string {
    const heaps = [...this.heaps.values()].sort((a, b) => a.space - b.space);
    return digestOf([heaps.map((h) => h.digestInput()), this.violationCount]);
  }

  /** The heap an event changes. */
  private live(space: number): Heap {
    const heap = this.heaps.get(space);
    if (!heap) throw new Error(`Space ${space} has no heap: its heap.region.created is missing`);
    return heap;
  }

  private append(violation: Violation): void {
    // A snapshot holds the list with a shorter length: what it holds must stay as it was.
    if (this.violationList.length !== this.violationCount) this.ownViolationList();
    this.violationList.push(violation);
    this.violationCount++;
  }

  /** A list of our own, holding only our violations, when a restore left us a longer one. */
  private ownViolationList(): void {
    this.violationList = this.violationList.slice(0, this.violationCount);
    this.madeElsewhere += arrayBytes(this.violationCount);
  }
}
