/**
 * Arrays of words that snapshots share: taking a snapshot copies only the list of arrays, and the
 * first write to an array after a snapshot copies that array alone. The handle tables are such
 * arrays, one per table page, as are the objects' records: so a snapshot costs O(tables), and the
 * work after it copies only the tables it touches, as the MMU's pages are copied on write.
 */
export class CowChunks {
  private chunks: Float64Array[];
  /** The epoch in which each chunk was copied (or made), and so is ours to write. */
  private owners: number[];
  private epoch = 0;
  /** Bytes of the arrays added and copied so far, a running count. */
  made = 0;

  constructor(chunks: readonly Float64Array[] = []) {
    this.chunks = chunks.slice();
    this.owners = chunks.map(() => -1);
  }

  get length(): number {
    return this.chunks.length;
  }

  /** Adds a chunk (ours from now on); returns its number. */
  add(words: Float64Array): number {
    this.chunks.push(words);
    this.owners.push(this.epoch);
    this.made += words.byteLength;
    return this.chunks.length - 1;
  }

  /** A chunk to read; never write through it. */
  read(chunk: number): Float64Array {
    return this.chunks[chunk]!;
  }

  /** A chunk to write: copied first if a snapshot may still hold it. */
  write(chunk: number): Float64Array {
    if (this.owners[chunk] === this.epoch) return this.chunks[chunk]!;
    const copy = this.chunks[chunk]!.slice();
    this.made += copy.byteLength;
    this.chunks[chunk] = copy;
    this.owners[chunk] = this.epoch;
    return copy;
  }

  /** The chunks as they are, for a snapshot: every chunk is shared from now on. */
  share(): readonly Float64Array[] {
    this.epoch++;
    return this.chunks.slice();
  }

  /** Another owner of the same chunks (a fork's copy): both copy before they write. */
  fork(): CowChunks {
    return new CowChunks(this.share());
  }

  /** Goes back to a snapshot's chunks, which stay the snapshot's. */
  reset(chunks: readonly Float64Array[]): void {
    this.chunks = chunks.slice();
    this.owners = chunks.map(() => -1);
    this.epoch++;
  }
}
