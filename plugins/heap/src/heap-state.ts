import {
  Footprint,
  arrayBytes,
  digestOf,
  type EventRecord,
  type Projection,
} from '@chronovisor/core';
import { injectable } from 'inversify';
import { Heap, type HeapData } from './heap';
import type {
  BlockAllocated,
  BlockFreed,
  BlockResized,
  HeapCreated,
  HeapExtended,
  ViolationDetected,
} from './heap-events';

/** A violation as the heap keeps it: the event's seq and payload. */
export interface Violation extends ViolationDetected {
  readonly seq: number;
}

/** What a snapshot of the heaps holds. */
export interface HeapSnapshot {
  readonly heaps: ReadonlyMap<number, Heap>;
  readonly violations: readonly Violation[];
}

/** A heap snapshot as plain data, to keep in a file. */
export interface HeapSnapshotData {
  readonly heaps: readonly HeapData[];
  readonly violations: readonly Violation[];
}

/**
 * Every space's heap: the heap plugin's projection. Snapshots are copy on write per heap: a
 * snapshot starts a new generation, and the first change to a heap after it copies that heap.
 */
@injectable()
export class HeapState implements Projection<HeapSnapshot> {
  readonly name = 'heap';
  readonly eventTypes = [
    'heap.region.created',
    'heap.region.extended',
    'heap.block.allocated',
    'heap.block.freed',
    'heap.block.resized',
    'heap.violation.detected',
  ];

  private heaps = new Map<number, Heap>();
  private violationList: Violation[] = [];
  private generation = 0;
  /** True while the containers above are also held by a snapshot. */
  private shared = false;
  /** State made so far, in bytes (an estimate; see `allocatedBytes`). */
  private made = 0;

  heap(space: number): Heap | undefined {
    return this.heaps.get(space);
  }

  allHeaps(): IterableIterator<Heap> {
    return this.heaps.values();
  }

  violations(): readonly Violation[] {
    return this.violationList;
  }

  apply(event: EventRecord): void {
    // An event adds a few map entries at most; copies are counted where they are made.
    this.made += EVENT_BYTES;
    if (this.shared) {
      this.heaps = new Map(this.heaps);
      this.violationList = this.violationList.slice();
      this.shared = false;
      this.made += mapBytes(this.heaps) + arrayBytes(this.violationList.length);
    }
    switch (event.type) {
      case 'heap.region.created': {
        const created = event.data as HeapCreated;
        const heap = new Heap(created, this.generation);
        this.heaps.set(created.space, heap);
        this.made += heap.footprint;
        return;
      }
      case 'heap.region.extended':
        return this.writable(event).applyExtended(event.data as HeapExtended);
      case 'heap.block.allocated':
        return this.writable(event).applyAllocated(event.data as BlockAllocated, event.seq);
      case 'heap.block.freed':
        return this.writable(event).applyFreed(event.data as BlockFreed, event.seq);
      case 'heap.block.resized':
        return this.writable(event).applyResized(event.data as BlockResized);
      case 'heap.violation.detected': {
        const violation = event.data as ViolationDetected;
        this.writable(event).applyViolation();
        this.violationList.push({ seq: event.seq, ...violation });
        return;
      }
    }
  }

  snapshot(): HeapSnapshot {
    this.generation++;
    this.shared = true;
    return { heaps: this.heaps, violations: this.violationList };
  }

  restore(snapshot: HeapSnapshot): void {
    this.heaps = snapshot.heaps as Map<number, Heap>;
    this.violationList = snapshot.violations as Violation[];
    this.generation++;
    this.shared = true;
  }

  snapshotToData(snapshot: HeapSnapshot): HeapSnapshotData {
    return {
      heaps: [...snapshot.heaps.values()].map((heap) => heap.toData()),
      violations: snapshot.violations,
    };
  }

  snapshotFromData(data: unknown): HeapSnapshot {
    const { heaps, violations } = data as HeapSnapshotData;
    // A generation no live heap has: the first change after restoring copies, as after any restore.
    const generation = -1;
    return {
      heaps: new Map(heaps.map((h) => [h.created.space, Heap.fromData(h, generation)])),
      violations,
    };
  }

  /**
   * The memory these snapshots hold together: each heap copy and each list once, however many
   * snapshots share it (block records, shared by all copies, left out).
   */
  snapshotBytes(snapshots: readonly HeapSnapshot[]): number {
    const footprint = new Footprint();
    for (const { heaps, violations } of snapshots) {
      footprint.add(violations, arrayBytes(violations.length));
      if (!footprint.add(heaps, mapBytes(heaps))) continue;
      for (const heap of heaps.values()) footprint.add(heap, heap.footprint);
    }
    return footprint.bytes;
  }

  /** State made so far, in bytes: heap copies, copied lists, and a bound on what each event adds. */
  allocatedBytes(): number {
    return this.made;
  }

  digest(): string {
    const heaps = [...this.heaps.values()].sort((a, b) => a.space - b.space);
    return digestOf([heaps.map((h) => h.digestInput()), this.violationList.length]);
  }

  /** The heap an event changes, copied first if a snapshot still holds it. */
  private writable(event: EventRecord): Heap {
    const space = (event.data as { space: number }).space;
    let heap = this.heaps.get(space)!;
    if (heap.generation !== this.generation) {
      heap = heap.clone(this.generation);
      this.heaps.set(space, heap);
      this.made += heap.footprint;
    }
    return heap;
  }
}

/** The most state one event adds: a block, a freed entry with its tag map, chunks, a ref. */
const EVENT_BYTES = 512;

/** The map of heaps a snapshot holds (the heaps aside). */
const mapBytes = (heaps: ReadonlyMap<number, Heap>): number => 32 + heaps.size * 64;
