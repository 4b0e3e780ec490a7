import { MultisetHash } from '@chronovisor/core';
import { CowChunks } from './cow-chunks';

const CHUNK_SHIFT = 10;
const CHUNK_OBJECTS = 1 << CHUNK_SHIFT;
/** Words per object: its type's number, and how many handles name it. */
const OBJECT_WORDS = 2;
const TYPE = 0;
const HANDLES = 1;

/** What a snapshot holds of the objects. */
export interface ObjectsVersion {
  readonly chunks: readonly Float64Array[];
  readonly count: number;
  readonly live: number;
  readonly facts: readonly [number, number];
}

/**
 * The objects handles name, by id (from 1, in creation order): each one's type and handle count,
 * as NT's object header keeps a HandleCount. An object is gone when its last handle closes; its id
 * is never given again.
 */
export class ObjectTable {
  private readonly chunks = new CowChunks();
  private count = 0;
  private liveCount = 0;
  /** A hash of every object's (id, type, handles), kept as they change: an O(1) digest. */
  private readonly facts = new MultisetHash();

  /** Objects ever made: the last id given. */
  get made(): number {
    return this.count;
  }
  /** Objects some handle still names. */
  get live(): number {
    return this.liveCount;
  }
  get allocatedBytes(): number {
    return this.chunks.made;
  }

  /** A new object with one handle; its id must be the next. */
  add(id: number, type: number): void {
    if (id !== this.count + 1)
      throw new Error(`Object ${id} is not the next object (${this.count + 1})`);
    const n = this.count++;
    if (n >> CHUNK_SHIFT === this.chunks.length)
      this.chunks.add(new Float64Array(CHUNK_OBJECTS * OBJECT_WORDS));
    const words = this.chunks.write(n >> CHUNK_SHIFT);
    const o = (n & (CHUNK_OBJECTS - 1)) * OBJECT_WORDS;
    words[o + TYPE] = type;
    words[o + HANDLES] = 1;
    this.facts.add(id >>> 0, type, 1, 0);
    this.liveCount++;
  }

  /** One more handle (`by` = 1) or fewer (`by` = −1) names the object; returns how many do now. */
  adjust(id: number, by: number): number {
    const n = id - 1;
    const words = this.chunks.write(n >> CHUNK_SHIFT);
    const o = (n & (CHUNK_OBJECTS - 1)) * OBJECT_WORDS;
    const type = words[o + TYPE]!;
    this.facts.toggle(-1, 1, id, type, words[o + HANDLES]);
    const handles = (words[o + HANDLES] = words[o + HANDLES]! + by);
    this.facts.toggle(1, 1, id, type, handles);
    if (handles === 0) this.liveCount--;
    return handles;
  }

  /** The object's type number, and its handle count (0 once it is gone). */
  typeOf(id: number): number {
    const n = id - 1;
    return this.chunks.read(n >> CHUNK_SHIFT)[(n & (CHUNK_OBJECTS - 1)) * OBJECT_WORDS + TYPE]!;
  }
  handlesOf(id: number): number {
    const n = id - 1;
    return this.chunks.read(n >> CHUNK_SHIFT)[(n & (CHUNK_OBJECTS - 1)) * OBJECT_WORDS + HANDLES]!;
  }

  capture(): ObjectsVersion {
    return {
      chunks: this.chunks.share(),
      count: this.count,
      live: this.liveCount,
      facts: this.facts.value,
    };
  }

  reset(version: ObjectsVersion): void {
    this.chunks.reset(version.chunks);
    this.count = version.count;
    this.liveCount = version.live;
    this.facts.set(version.facts);
  }

  /** What defines the objects, for a digest: O(1). */
  digestInput(): unknown {
    return [this.count, this.liveCount, this.facts.value];
  }
}
