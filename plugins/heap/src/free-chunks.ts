import { MultisetHash } from '@chronovisor/core';
import { AddressMap } from './address-map';

/** A run of free heap memory: `[address, size]`, as events carry it. */
export type Chunk = readonly [address: number, size: number];

const CHUNK_FACT = 1;

/** The heap's free memory, as chunks in address order. */
export class FreeChunks {
  private chunks = new AddressMap<number>();
  private total = 0;
  /** A hash of the chunks, kept as they change, for the heap's digest. */
  hash = new MultisetHash();

  /** Free bytes in all chunks. */
  get bytes(): number {
    return this.total;
  }

  get count(): number {
    return this.chunks.size;
  }

  /** The chunk starting at `address`. */
  at(address: number): Chunk | undefined {
    const size = this.chunks.get(address);
    return size === undefined ? undefined : [address, size];
  }

  /** The chunk that ends exactly at `address`. */
  endingAt(address: number): Chunk | undefined {
    const start = this.chunks.floor(address - 1);
    if (start === undefined) return undefined;
    const size = this.chunks.get(start)!;
    return start + size === address ? [start, size] : undefined;
  }

  /** Chunks in address order. */
  *[Symbol.iterator](): IterableIterator<Chunk> {
    yield* this.chunks.entries();
  }

  add([address, size]: Chunk): void {
    this.chunks.set(address, size);
    this.total += size;
    this.hash.toggle(1, CHUNK_FACT, address, size);
  }

  remove(address: number): void {
    const size = this.chunks.get(address);
    if (size === undefined) throw new Error(`No free chunk starts at 0x${address.toString(16)}`);
    this.chunks.delete(address);
    this.total -= size;
    this.hash.toggle(-1, CHUNK_FACT, address, size);
  }

  /** Makes `chunk` one free chunk, absorbing every chunk inside it (what a merge leaves). */
  cover(chunk: Chunk): void {
    const [address, size] = chunk;
    const end = address + size;
    const inside: number[] = [];
    for (const start of this.chunks.keysFrom(address)) {
      if (start >= end) break;
      inside.push(start);
    }
    for (const start of inside) this.remove(start);
    this.add(chunk);
  }

  clone(): FreeChunks {
    const copy = new FreeChunks();
    copy.chunks = this.chunks.clone();
    copy.total = this.total;
    copy.hash.set(this.hash.value);
    return copy;
  }
}
