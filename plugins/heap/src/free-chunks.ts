import { MultisetHash, PersistentSortedMap, SortedMapEditor } from '@chronovisor/core';
import { madeByDelete, madeBySet } from './heap-footprint';

/** A run of free heap memory: `[address, size]`, as events carry it. */
export type Chunk = readonly [address: number, size: number];

/** A free chunk as plain data: its address, size and history (see {@link FreeChunks.historyAt}). */
export type ChunkData = readonly [address: number, size: number, history: number];

/** What the map holds per chunk: immutable, shared between versions. */
interface FreeChunk {
  readonly size: number;
  readonly history: number;
}

/** The chunks as a snapshot holds them: the roots of persistent structures, never changed. */
export interface ChunksVersion {
  readonly map: PersistentSortedMap<FreeChunk>;
  readonly bytes: number;
  readonly hash: readonly [number, number];
}

const CHUNK_FACT = 1;

/**
 * The heap's free memory, as chunks in address order. One object per heap for its whole life;
 * its contents are edited in place between captures (see `SortedMapEditor`), so
 * {@link FreeChunks.capture} is O(1) and a captured version is never changed by later writes.
 *
 * Each chunk also keeps its history: the highest allocation count of the blocks that held some
 * of its memory and started before it, whose info words a scan from the chunk's start does not
 * see. A block's count is one above every count its memory had (see `Allocator`), so it needs
 * them. Carving a block leaves the pieces after it the block's count as history (every block
 * that reached into them started in the chunk or had a count below the new one); merging keeps
 * the highest. It is derived from the events, like the chunks themselves.
 */
export class FreeChunks {
  private readonly map = new SortedMapEditor<FreeChunk>();
  private total = 0;
  /** A hash of the chunks, kept as they change, for the heap's digest. */
  readonly hash = new MultisetHash();
  /** Bytes of structure made so far (an estimate; see heap-footprint). */
  made = 0;

  /** Free bytes in all chunks. */
  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.map.size;
  }

  /** The chunk starting at `address`. */
  at(address: number): Chunk | undefined {
    const chunk = this.map.get(address);
    return chunk === undefined ? undefined : [address, chunk.size];
  }

  /** The history of the chunk starting at `address` (0 if there is none). */
  historyAt(address: number): number {
    return this.map.get(address)?.history ?? 0;
  }

  /** The chunk that ends exactly at `address`. */
  endingAt(address: number): Chunk | undefined {
    const start = this.map.lower(address);
    if (start === undefined) return undefined;
    const size = this.map.get(start)!.size;
    return start + size === address ? [start, size] : undefined;
  }

  /** Chunks in address order. */
  *[Symbol.iterator](): IterableIterator<Chunk> {
    for (const [address, chunk] of this.map.entries()) yield [address, chunk.size];
  }

  /** Calls `visit` on each chunk in address order, until it returns true. */
  scan(visit: (address: number, size: number) => boolean): void {
    this.map.someFrom(-Infinity, (address, chunk) => visit(address, chunk.size));
  }

  /** A version's chunks with their histories, in address order: plain data for a snapshot file. */
  static toData(version: ChunksVersion): ChunkData[] {
    const out: ChunkData[] = [];
    version.map.forEach((chunk, address) => out.push([address, chunk.size, chunk.history]));
    return out;
  }

  /**
   * Takes the chunk `from` for a block ending at `end` with allocation count `count`, and adds
   * the pieces left (`rest`): those after the block take its count as their history.
   */
  carve(from: Chunk, rest: readonly Chunk[], end: number, count: number): void {
    const history = this.historyAt(from[0]);
    this.remove(from[0]);
    for (const piece of rest) this.add(piece, piece[0] >= end ? Math.max(history, count) : history);
  }

  /** Makes `chunk` one free chunk, absorbing every chunk inside it (what a merge leaves). */
  cover(chunk: Chunk): void {
    const [address, size] = chunk;
    const end = address + size;
    let history = 0;
    const inside: number[] = [];
    this.map.someFrom(address, (start) => start >= end || (inside.push(start), false));
    for (const start of inside) {
      history = Math.max(history, this.historyAt(start));
      this.remove(start);
    }
    this.add(chunk, history);
  }

  /** Adds a chunk as plain data gave it (see {@link FreeChunks.toData}). */
  restoreChunk([address, size, history]: ChunkData): void {
    this.add([address, size], history);
  }

  capture(): ChunksVersion {
    return { map: this.map.snapshot(), bytes: this.total, hash: this.hash.value };
  }

  reset(version: ChunksVersion): void {
    this.map.reset(version.map);
    this.total = version.bytes;
    this.hash.set(version.hash);
  }

  private add([address, size]: Chunk, history: number): void {
    this.made += madeBySet(this.map, address, { size, history });
    this.total += size;
    this.hash.toggle(1, CHUNK_FACT, address, size, history);
  }

  private remove(address: number): void {
    const chunk = this.map.get(address);
    if (chunk === undefined) throw new Error(`No free chunk starts at 0x${address.toString(16)}`);
    this.made += madeByDelete(this.map, address);
    this.total -= chunk.size;
    this.hash.toggle(-1, CHUNK_FACT, address, chunk.size, chunk.history);
  }
}
