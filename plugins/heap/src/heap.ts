import {
  MultisetHash,
  PersistentMap,
  SortedMapEditor,
  type PersistentSortedMap,
} from '@chronovisor/core';
import { FreeChunks, type ChunkData, type ChunksVersion } from './free-chunks';
import { ENTRY_BYTES, RECORD_BYTES, madeByDelete, madeBySet, writeBytes } from './heap-footprint';
import {
  HEAP_OPERATIONS,
  VIOLATION_KINDS,
  type BlockAllocated,
  type BlockFreed,
  type BlockResized,
  type HeapCreated,
  type HeapExtended,
  type ViolationDetected,
} from './heap-events';
import type { PolicyName } from './heap-options';
import type { HeapShape } from './policies';
import { INFO_BYTES, tagOfCount } from './pointer';

/** A live block. */
export interface Block {
  readonly ptr: number;
  readonly address: number;
  readonly size: number;
  readonly span: number;
  readonly count: number;
  readonly allocSeq: number;
}

/** A block that was freed: what a stale pointer still points to. */
export interface FreedBlock extends Block {
  readonly freeSeq: number;
}

/** Counters of what a heap has done. */
export interface HeapCounters {
  readonly allocations: number;
  readonly frees: number;
  readonly resizes: number;
  readonly violations: number;
}

/** Freed blocks at one start address, by tag. */
type TagMap = PersistentMap<number, FreedBlock>;

/**
 * A heap as a snapshot holds it: its scalars and the roots of its maps, taken
 * in O(1) and never changed by what happens to the heap afterwards.
 */
export interface HeapVersion {
  readonly created: HeapCreated;
  readonly brk: number;
  readonly chunks: ChunksVersion;
  readonly blocks: PersistentSortedMap<Block>;
  readonly freed: PersistentSortedMap<TagMap>;
  readonly freedCount: number;
  readonly refs: PersistentSortedMap<number>;
  readonly liveBytes: number;
  readonly peakLiveBytes: number;
  readonly counters: HeapCounters;
  readonly facts: readonly [number, number];
}

/** A heap as plain data (see {@link Heap.toData}), for a snapshot kept in a file. */
export interface HeapData {
  readonly created: HeapCreated;
  readonly brk: number;
  readonly chunks: readonly ChunkData[];
  readonly blocks: readonly Block[];
  readonly freed: readonly FreedBlock[];
  readonly refs: readonly (readonly [ref: number, ptr: number])[];
  readonly liveBytes: number;
  readonly peakLiveBytes: number;
  readonly counters: HeapCounters;
  /** The violations found in this heap, for its hash of facts. */
  readonly violations: readonly (ViolationDetected & { readonly seq: number })[];
}

const BLOCK_FACT = 2;
const FREED_FACT = 3;
const REF_FACT = 4;
const VIOLATION_FACT = 5;

/** How many blocks below an address an overrun is traced back to. */
const OVERRUN_REACH = 4;
/** How far back a stale pointer into memory since reused is still traced to its block. */
const FREED_SEARCH_DEPTH = 64;
/** A heap's object and scalars, for the footprint. */
const HEAP_BYTES = 1024;

/**
 * One address space's heap: the break, free chunks, live blocks, and the freed blocks stale
 * pointers may still name. Changed only by the heap's events, through the `apply…` methods.
 *
 * One object per heap for as long as the heap exists (the projection restores a snapshot into
 * it), so the allocator may hold it across the events it emits: every write goes to the live
 * heap. Its maps are edited in place between snapshots (`SortedMapEditor`): a snapshot
 * ({@link Heap.capture}) takes their roots in O(1), and the first write after it to a node it
 * shares copies that node, once. Most writes between the kernel's rollback points make nothing.
 */
export class Heap implements HeapShape {
  readonly created: HeapCreated;
  readonly space: number;
  readonly base: number;
  readonly metaBase: number;
  readonly policy: PolicyName;
  readonly tagBits: number;
  readonly addressBits: number;
  readonly alignment: number;
  brk: number;
  readonly chunks = new FreeChunks();
  /** The live blocks, by start address. */
  readonly blocks = new SortedMapEditor<Block>();
  /** By start address, then by tag: the last block freed there with that tag. */
  readonly freed = new SortedMapEditor<TagMap>();
  /** What each ref holds: the last pointer allocated into it (still there after a free, as in C). */
  readonly refs = new SortedMapEditor<number>();
  liveBytes = 0;
  peakLiveBytes = 0;
  private allocations = 0;
  private frees = 0;
  private resizes = 0;
  private violations = 0;
  /** Freed blocks remembered, over all addresses and tags. */
  private freedCount = 0;
  /** A hash of the live and freed blocks, refs and violations, kept as they change, so a digest is O(1). */
  private readonly facts = new MultisetHash();
  /** Bytes of structure made so far, chunks aside (an estimate; see heap-footprint). */
  private ownMade = HEAP_BYTES;

  constructor(created: HeapCreated) {
    this.created = created;
    this.space = created.space;
    this.base = created.base;
    this.metaBase = created.metaBase;
    this.policy = created.policy;
    this.tagBits = created.tagBits;
    this.addressBits = created.addressBits;
    this.alignment = created.alignment;
    this.brk = created.base;
  }

  /** Bytes from the base to the break: what the heap takes of the address space. */
  get extent(): number {
    return this.brk - this.base;
  }

  get counters(): HeapCounters {
    const { allocations, frees, resizes, violations } = this;
    return { allocations, frees, resizes, violations };
  }

  /** Bytes of structure made so far: what the heap's writes copied and added (an estimate). */
  get made(): number {
    return this.ownMade + this.chunks.made;
  }

  /** About the memory the heap's current state takes, whatever it shares with snapshots. */
  get treeBytes(): number {
    const entries =
      this.blocks.size + this.freed.size + this.freedCount + this.chunks.count + this.refs.size;
    return HEAP_BYTES + entries * ENTRY_BYTES;
  }

  /** Where the allocation info of the block starting at `address` lives. */
  infoAddress(address: number): number {
    return this.metaBase + ((address - this.base) / this.alignment) * INFO_BYTES;
  }

  /** The live block whose span holds `address`. */
  blockContaining(address: number): Block | undefined {
    const start = this.blocks.floor(address);
    if (start === undefined) return undefined;
    const block = this.blocks.get(start)!;
    return address < start + block.span ? block : undefined;
  }

  /** The live blocks on either side of a free `address`: those a new block there must be told apart from. */
  adjacent(address: number): Block[] {
    return this.nearby(address, 1);
  }

  /** The `reach` live blocks starting below `address` and the one above: an overrun's likely sources. */
  nearby(address: number, reach = OVERRUN_REACH): Block[] {
    const out: Block[] = [];
    this.blocks.someBackFrom(address - 1, (_, block) => out.push(block) >= reach);
    const above = this.blocks.ceiling(address + 1);
    if (above !== undefined) out.push(this.blocks.get(above)!);
    return out;
  }

  /** The freed block with `tag` whose bytes held `address`, searching the nearest starts below it. */
  freedCovering(address: number, tag: number): FreedBlock | undefined {
    let step = 0;
    let found: FreedBlock | undefined;
    this.freed.someBackFrom(address, (_, tags) => {
      const block = tags.get(tag);
      if (block && address < block.address + Math.max(block.size, 1)) found = block;
      return found !== undefined || ++step >= FREED_SEARCH_DEPTH;
    });
    return found;
  }

  applyExtended({ to, chunk }: HeapExtended): void {
    this.brk = to;
    this.chunks.cover(chunk);
  }

  applyAllocated(event: BlockAllocated, seq: number): void {
    const { ptr, address, size, span, count } = event;
    this.chunks.carve(event.from, event.rest, address + span, count);
    this.setBlock({ ptr, address, size, span, count, allocSeq: seq });
    if (event.ref !== undefined) {
      const held = this.refs.get(event.ref);
      if (held !== undefined) this.facts.toggle(-1, REF_FACT, event.ref, held);
      this.ownMade += madeBySet(this.refs, event.ref, ptr);
      this.facts.toggle(1, REF_FACT, event.ref, ptr);
    }
    this.liveBytes += size;
    // A realloc's move holds both blocks for the copy; the program's payload is the new one.
    const replaced = event.replaces === undefined ? 0 : this.blocks.get(event.replaces)!.size;
    if (this.liveBytes - replaced > this.peakLiveBytes)
      this.peakLiveBytes = this.liveBytes - replaced;
    this.allocations++;
  }

  applyFreed(event: BlockFreed, seq: number): void {
    const block = this.blocks.get(event.address)!;
    this.deleteBlock(block);
    this.chunks.cover(event.chunk);
    this.liveBytes -= block.size;
    this.frees++;
    this.remember({ ...block, freeSeq: seq });
  }

  applyResized(event: BlockResized): void {
    const block = this.blocks.get(event.address)!;
    this.deleteBlock(block);
    this.setBlock({ ...block, size: event.size });
    this.liveBytes += event.size - event.oldSize;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    this.resizes++;
  }

  applyViolation(violation: ViolationDetected, seq: number): void {
    this.violations++;
    this.ownMade += RECORD_BYTES;
    this.toggleViolation(violation, seq);
  }

  /** The heap now, for a snapshot: O(1). */
  capture(): HeapVersion {
    return {
      created: this.created,
      brk: this.brk,
      chunks: this.chunks.capture(),
      blocks: this.blocks.snapshot(),
      freed: this.freed.snapshot(),
      freedCount: this.freedCount,
      refs: this.refs.snapshot(),
      liveBytes: this.liveBytes,
      peakLiveBytes: this.peakLiveBytes,
      counters: this.counters,
      facts: this.facts.value,
    };
  }

  /** Puts the heap back as `version` captured it: O(1). */
  reset(version: HeapVersion): void {
    this.brk = version.brk;
    this.chunks.reset(version.chunks);
    this.blocks.reset(version.blocks);
    this.freed.reset(version.freed);
    this.freedCount = version.freedCount;
    this.refs.reset(version.refs);
    this.liveBytes = version.liveBytes;
    this.peakLiveBytes = version.peakLiveBytes;
    ({
      allocations: this.allocations,
      frees: this.frees,
      resizes: this.resizes,
      violations: this.violations,
    } = version.counters);
    this.facts.set(version.facts);
  }

  /** A version as plain data, for a snapshot kept in a file. */
  static toData(
    version: HeapVersion,
    violations: readonly (ViolationDetected & { readonly seq: number })[],
  ): HeapData {
    return {
      created: version.created,
      brk: version.brk,
      chunks: FreeChunks.toData(version.chunks),
      blocks: [...version.blocks.values()],
      freed: [...version.freed.values()].flatMap((tags) =>
        tags.sortedEntries().map(([, entry]) => entry),
      ),
      refs: [...version.refs.entries()],
      liveBytes: version.liveBytes,
      peakLiveBytes: version.peakLiveBytes,
      counters: version.counters,
      violations: violations.filter((v) => v.space === version.created.space),
    };
  }

  /** The heap {@link Heap.toData} made data of; its hashes are rebuilt from the facts. */
  static fromData(data: HeapData): Heap {
    const heap = new Heap(data.created);
    heap.brk = data.brk;
    for (const chunk of data.chunks) heap.chunks.restoreChunk(chunk);
    for (const block of data.blocks) heap.setBlock(block);
    for (const freed of data.freed) heap.remember(freed);
    for (const [ref, ptr] of data.refs) {
      heap.refs.set(ref, ptr);
      heap.facts.toggle(1, REF_FACT, ref, ptr);
    }
    for (const violation of data.violations) heap.toggleViolation(violation, violation.seq);
    heap.liveBytes = data.liveBytes;
    heap.peakLiveBytes = data.peakLiveBytes;
    ({
      allocations: heap.allocations,
      frees: heap.frees,
      resizes: heap.resizes,
      violations: heap.violations,
    } = data.counters);
    return heap;
  }

  /**
   * Everything that defines the heap, for its digest: its layout, break, byte counts and
   * counters, and the hashes of its chunks and facts (blocks, freed blocks, refs, violations),
   * kept as they change. O(1).
   */
  digestInput(): unknown[] {
    const { space, base, metaBase, policy, tagBits, addressBits, alignment } = this;
    return [
      space,
      base,
      metaBase,
      policy,
      tagBits,
      addressBits,
      alignment,
      this.brk,
      this.liveBytes,
      this.peakLiveBytes,
      this.allocations,
      this.frees,
      this.resizes,
      this.violations,
      this.chunks.hash.value,
      this.facts.value,
    ];
  }

  /** Remembers a freed block at its address under its tag, replacing an older one there. */
  private remember(freed: FreedBlock): void {
    const tags = this.freed.get(freed.address) ?? PersistentMap.empty<number, FreedBlock>();
    const tag = tagOfCount(freed.count, this.tagBits);
    const older = tags.get(tag);
    if (older) this.toggleFreed(-1, older);
    else this.freedCount++;
    const edited = tags.set(tag, freed);
    this.ownMade += writeBytes(tags.size) + madeBySet(this.freed, freed.address, edited);
    this.toggleFreed(1, freed);
  }

  private setBlock(block: Block): void {
    this.ownMade += madeBySet(this.blocks, block.address, block);
    this.toggleBlock(1, block);
  }

  private deleteBlock(block: Block): void {
    this.ownMade += madeByDelete(this.blocks, block.address);
    this.toggleBlock(-1, block);
  }

  private toggleBlock(sign: 1 | -1, b: Block): void {
    this.facts.toggle(sign, BLOCK_FACT, b.address, b.size, b.span, b.count, b.allocSeq);
  }

  private toggleFreed(sign: 1 | -1, f: FreedBlock): void {
    this.facts.toggle(sign, FREED_FACT, f.address, f.size, f.span, f.count, f.allocSeq, f.freeSeq);
  }

  /** A violation as a fact: its seq, kind and operation, pointer, address, length and tag. */
  private toggleViolation(v: ViolationDetected, seq: number): void {
    const what = VIOLATION_KINDS.indexOf(v.kind) * 8 + HEAP_OPERATIONS.indexOf(v.op);
    this.facts.toggle(1, VIOLATION_FACT, seq, what, v.ptr, v.address, v.length ?? 0, v.tag);
  }
}
