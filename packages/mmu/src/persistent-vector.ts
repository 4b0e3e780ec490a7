import { arrayBytes } from '@chronovisor/core';
import type { Generation, Stamp } from './generation';

const SHIFT = 9;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

interface Chunk<T> {
  gen: Stamp;
  readonly items: T[];
}

/** A captured {@link PersistentVector}: its chunk directory. */
export type VectorSnapshot<T> = readonly (Chunk<T> | undefined)[];

/**
 * A fixed-length array in chunks of 512, copied chunk by chunk on write after a snapshot, so a
 * snapshot costs one directory copy (length / 512 references) and a change after it one chunk.
 * Chunks never written read as `fill` and take no memory.
 */
export class PersistentVector<T> {
  private chunks: (Chunk<T> | undefined)[];

  constructor(
    readonly length: number,
    private readonly fill: T,
    private readonly generation: Generation,
  ) {
    this.chunks = new Array<Chunk<T> | undefined>(Math.ceil(length / CHUNK));
  }

  get(index: number): T {
    const chunk = this.chunks[index >>> SHIFT];
    return chunk === undefined ? this.fill : chunk.items[index & MASK]!;
  }

  set(index: number, value: T): void {
    const at = index >>> SHIFT;
    let chunk = this.chunks[at];
    const gen = this.generation.stamp;
    if (chunk === undefined || chunk.gen !== gen) {
      const items = chunk ? chunk.items.slice() : new Array<T>(CHUNK).fill(this.fill);
      chunk = { gen, items };
      this.chunks[at] = chunk;
      this.generation.allocatedBytes += arrayBytes(CHUNK);
    }
    chunk.items[index & MASK] = value;
  }

  snapshot(): VectorSnapshot<T> {
    this.generation.allocatedBytes += arrayBytes(this.chunks.length);
    return this.chunks.slice();
  }

  restore(snapshot: VectorSnapshot<T>): void {
    this.chunks = snapshot.slice();
  }
}
