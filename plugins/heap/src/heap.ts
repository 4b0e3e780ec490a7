import { MultisetHash } from '@chronovisor/core';
import { AddressMap } from './address-map';
import { FreeChunks, type Chunk } from './free-chunks';
import type {
  BlockAllocated,
  BlockFreed,
  BlockResized,
  HeapCreated,
  HeapExtended,
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
  allocations: number;
  frees: number;
  resizes: number;
  violations: number;
}

/** A heap as plain data (see {@link Heap.toData}). */
export interface HeapData {
  readonly created: HeapCreated;
  readonly brk: number;
  readonly chunks: readonly Chunk[];
  readonly blocks: readonly Block[];
  readonly freed: readonly FreedBlock[];
  readonly refs: readonly (readonly [ref: number, ptr: number])[];
  readonly liveBytes: number;
  readonly peakLiveBytes: number;
  readonly counters: HeapCounters;
}

/** Freed blocks at one start address, by tag; changed in place only by the generation that made it. */
type TagMap = Map<number, FreedBlock> & { readonly generation: number };

const BLOCK_FACT = 2;
const FREED_FACT = 3;
const REF_FACT = 4;

/** How many blocks below an address an overrun is traced back to. */
const OVERRUN_REACH = 4;
/** A heap's fixed part, and each entry of its maps (a sorted key, a Map entry): V8 estimates. */
const HEAP_BYTES = 1024;
const ENTRY_BYTES = 64;

/** How far back a stale pointer into memory since reused is still traced to its block. */
const FREED_SEARCH_DEPTH = 64;

/**
 * One address space's heap: the break, free chunks, live blocks, and the freed blocks stale
 * pointers may still name. Changed only by the heap's events, through the `apply…` methods.
 */
export class Heap implements HeapShape {
  readonly space: number;
  readonly base: number;
  readonly metaBase: number;
  readonly policy: PolicyName;
  readonly tagBits: number;
  readonly addressBits: number;
  readonly alignment: number;
  brk: number;
  chunks = new FreeChunks();
  blocks = new AddressMap<Block>();
  /** By start address, then by tag: the last block freed there with that tag. */
  freed = new AddressMap<TagMap>();
  /** What each ref holds: the last pointer allocated into it (still there after a free, as in C). */
  refs = new Map<number, number>();
  liveBytes = 0;
  peakLiveBytes = 0;
  counters: HeapCounters = { allocations: 0, frees: 0, resizes: 0, violations: 0 };
  /** A hash of the live and freed blocks, kept as they change, so a digest is O(1). */
  private facts = new MultisetHash();

  constructor(
    created: HeapCreated,
    /** The snapshot generation this copy belongs to (see HeapState). */
    public generation: number,
  ) {
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
    for (let step = 0; step < reach; step++) {
      const below = this.blocks.below(address - 1, step);
      if (below === undefined) break;
      out.push(this.blocks.get(below)!);
    }
    const above = this.blocks.ceiling(address + 1);
    if (above !== undefined) out.push(this.blocks.get(above)!);
    return out;
  }

  /** The freed block with `tag` whose bytes held `address`, searching the nearest starts below it. */
  freedCovering(address: number, tag: number): FreedBlock | undefined {
    for (let step = 0; step < FREED_SEARCH_DEPTH; step++) {
      const start = this.freed.below(address, step);
      if (start === undefined) return undefined;
      const block = this.freed.get(start)!.get(tag);
      if (block && address < block.address + Math.max(block.size, 1)) return block;
    }
    return undefined;
  }

  applyExtended({ to, chunk }: HeapExtended): void {
    this.brk = to;
    this.chunks.cover(chunk);
  }

  applyAllocated(event: BlockAllocated, seq: number): void {
    this.chunks.remove(event.from[0]);
    for (const piece of event.rest) this.chunks.add(piece);
    const { ptr, address, size, span, count } = event;
    this.setBlock({ ptr, address, size, span, count, allocSeq: seq });
    if (event.ref !== undefined) {
      const held = this.refs.get(event.ref);
      if (held !== undefined) this.facts.toggle(-1, REF_FACT, event.ref, held);
      this.refs.set(event.ref, ptr);
      this.facts.toggle(1, REF_FACT, event.ref, ptr);
    }
    this.liveBytes += size;
    // A realloc's move holds both blocks for the copy; the program's payload is the new one.
    const replaced = event.replaces === undefined ? 0 : this.blocks.get(event.replaces)!.size;
    if (this.liveBytes - replaced > this.peakLiveBytes)
      this.peakLiveBytes = this.liveBytes - replaced;
    this.counters.allocations++;
  }

  applyFreed(event: BlockFreed, seq: number): void {
    const block = this.blocks.get(event.address)!;
    this.deleteBlock(block);
    this.chunks.cover(event.chunk);
    this.liveBytes -= block.size;
    this.counters.frees++;
    let tags = this.freed.get(block.address);
    if (tags?.generation !== this.generation) {
      // Shared with a snapshot (or new): this generation gets its own copy.
      tags = Object.assign(new Map(tags), { generation: this.generation });
      this.freed.set(block.address, tags);
    }
    const tag = tagOfCount(block.count, this.tagBits);
    const older = tags.get(tag);
    if (older) this.toggleFreed(-1, older);
    const freed = { ...block, freeSeq: seq };
    tags.set(tag, freed);
    this.toggleFreed(1, freed);
  }

  applyResized(event: BlockResized): void {
    const block = this.blocks.get(event.address)!;
    this.deleteBlock(block);
    this.setBlock({ ...block, size: event.size });
    this.liveBytes += event.size - event.oldSize;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    this.counters.resizes++;
  }

  applyViolation(): void {
    this.counters.violations++;
  }

  /** The heap as plain data, for a snapshot kept in a file. */
  toData(): HeapData {
    const { space, base, metaBase, policy, tagBits, addressBits, alignment } = this;
    return {
      created: { space, base, metaBase, policy, tagBits, addressBits, alignment },
      brk: this.brk,
      chunks: [...this.chunks],
      blocks: [...this.blocks.entries()].map(([, block]) => block),
      freed: [...this.freed.entries()].flatMap(([, tags]) => [...tags.values()]),
      refs: [...this.refs],
      liveBytes: this.liveBytes,
      peakLiveBytes: this.peakLiveBytes,
      counters: { ...this.counters },
    };
  }

  /** The heap {@link Heap.toData} made data of; its hashes are rebuilt from the facts. */
  static fromData(data: HeapData, generation: number): Heap {
    const heap = new Heap(data.created, generation);
    heap.brk = data.brk;
    for (const chunk of data.chunks) heap.chunks.add(chunk);
    for (const block of data.blocks) heap.setBlock(block);
    for (const freed of data.freed) {
      let tags = heap.freed.get(freed.address);
      if (!tags) heap.freed.set(freed.address, (tags = Object.assign(new Map(), { generation })));
      tags.set(tagOfCount(freed.count, heap.tagBits), freed);
      heap.toggleFreed(1, freed);
    }
    for (const [ref, ptr] of data.refs) {
      heap.refs.set(ref, ptr);
      heap.facts.toggle(1, REF_FACT, ref, ptr);
    }
    heap.liveBytes = data.liveBytes;
    heap.peakLiveBytes = data.peakLiveBytes;
    heap.counters = { ...data.counters };
    return heap;
  }

  /**
   * About the memory this copy's own containers take (block records are shared between copies
   * and not counted): for a time-travel memory budget.
   */
  get footprint(): number {
    const entries = this.blocks.size + this.freed.size + this.chunks.count + this.refs.size;
    return HEAP_BYTES + entries * ENTRY_BYTES;
  }

  /** A copy for another snapshot generation; block records are immutable, so they are shared. */
  clone(generation: number): Heap {
    const copy = Object.create(Heap.prototype) as Heap;
    Object.assign(copy, this);
    copy.generation = generation;
    copy.chunks = this.chunks.clone();
    copy.blocks = this.blocks.clone();
    copy.freed = this.freed.clone();
    copy.refs = new Map(this.refs);
    copy.counters = { ...this.counters };
    copy.facts = new MultisetHash();
    copy.facts.set(this.facts.value);
    return copy;
  }

  private setBlock(block: Block): void {
    this.blocks.set(block.address, block);
    this.facts.toggle(
      1,
      BLOCK_FACT,
      block.address,
      block.size,
      block.span,
      block.count,
      block.allocSeq,
    );
  }

  private deleteBlock(block: Block): void {
    this.blocks.delete(block.address);
    this.facts.toggle(
      -1,
      BLOCK_FACT,
      block.address,
      block.size,
      block.span,
      block.count,
      block.allocSeq,
    );
  }

  private toggleFreed(sign: 1 | -1, f: FreedBlock): void {
    this.facts.toggle(sign, FREED_FACT, f.address, f.size, f.span, f.count, f.allocSeq, f.freeSeq);
  }

  /** Everything that defines the heap, for its digest: O(1), the blocks and chunks being hashed as they change. */
  digestInput(): unknown[] {
    return [
      this.space,
      this.base,
      this.brk,
      this.liveBytes,
      this.peakLiveBytes,
      this.counters,
      this.chunks.hash.value,
      this.facts.value,
    ];
  }
}
