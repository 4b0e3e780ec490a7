import type { Hash } from 'node:crypto';
import { Generation } from './generation';
import {
  MultisetHash,
  arrayBytes,
  canonicalJson,
  typedArrayBytes,
  type Footprint,
} from '@chronovisor/core';
import {
  MemoryJournal,
  patchBytes,
  patchLength,
  replayPatch,
  type MemoryPatch,
  type PatchTarget,
} from './memory-journal';
import { MemoryUndo } from './memory-undo';
import { PersistentVector, type VectorSnapshot } from './persistent-vector';

/**
 * Patch bytes after which an incremental snapshot is a key: a restore replays at most this much
 * (~4 ms here), unless keys are shed to keep to a memory budget.
 */
const KEY_AFTER = 256 * 2 ** 10;

/** A named partition: the frames `[base, base + frames)`, which only its spaces allocate from. */
export interface Partition {
  readonly name: string;
  readonly base: number;
  readonly frames: number;
}

/**
 * A captured physical memory. A key snapshot holds the frames; with incremental snapshots, one may
 * instead build on the snapshot before it (`base`) with what changed since (`patch`), and a key
 * that builds on another may let go of its frames later (`shed`).
 */
export interface PhysicalMemorySnapshot extends MemoryState {
  bytes: VectorSnapshot<Uint8Array | undefined> | undefined;
  readonly base?: PhysicalMemorySnapshot;
  readonly patch?: MemoryPatch;
}

/** Memory's bookkeeping as a snapshot or a checkpoint holds it: all but the frames' bytes. */
export interface MemoryState {
  readonly refs: VectorSnapshot<number>;
  readonly partitions: readonly Partition[];
  readonly used: ReadonlyMap<string, number>;
  readonly hints: ReadonlyMap<string, number>;
  readonly exports: ReadonlyMap<number, readonly string[]>;
  readonly wordsHash: readonly [number, number];
  readonly refsHash: readonly [number, number];
}

/**
 * The machine's physical frames: sparse (a frame's bytes exist only once written; untouched
 * frames read as zero), reference-counted (a frame is free when no mapping holds it, and its bytes
 * are dropped then, so the next owner finds it zeroed), carved into partitions, and persistent
 * (a snapshot shares every frame; the first write after it copies that one frame).
 */
export class PhysicalMemory {
  private readonly bytes: PersistentVector<Uint8Array | undefined>;
  private readonly refs: PersistentVector<number>;
  /**
   * The frames' own generation, which advances only when a snapshot takes their buffers (a key)
   * and on restore: a buffer (see `bufferGen`) or directory chunk made in an earlier one may
   * belong to a snapshot, so it is copied before it changes. What it counts as made since is
   * what the next key would hold of its own.
   */
  private readonly frames = new Generation();
  private readonly bufferGen: Uint32Array;
  /** With incremental snapshots: what memory went through since the last snapshot taken or restored. */
  private journal: MemoryJournal | undefined;
  /** Since the kernel's last checkpoint: how to undo what the frames went through. */
  private undo: MemoryUndo | undefined;
  /** The snapshot taken or restored last: the next one builds on it. */
  private base: PhysicalMemorySnapshot | undefined;
  /**
   * The journal while there is a snapshot to build on. With none, the next snapshot is a key and
   * needs no patch: a timeline that shed its base and spaced its snapshots out (a tight memory
   * budget) kept every write since in a journal it would throw away.
   */
  private get recording(): MemoryJournal | undefined {
    return this.base === undefined ? undefined : this.journal;
  }
  /** Frames whose buffer was made since the last key or restore: no snapshot holds those buffers. */
  private owned: number[] = [];
  /**
   * Buffers a restore took back from the live state: the frames it copies next are copied into
   * them. Allocating thousands of 4 KiB buffers per restore cost more than replaying its patches.
   */
  private spare: Uint8Array[] = [];
  /** Patch bytes a restore of the live state would replay since its key. */
  private patchedSinceKey = 0;
  /** Of every non-zero 32-bit word of memory, by word index: memory's digest, kept up to date. */
  private readonly words = new MultisetHash();
  /** Of every (frame, reference count) with a count above zero. */
  private readonly refsHash = new MultisetHash();
  private partitions: Partition[] = [];
  private used = new Map<string, number>();
  /** Per partition, a frame below which none is free: where the search for a free frame starts. */
  private hints = new Map<string, number>();
  /** Frames marked shared with other partitions than their owner. */
  private exports = new Map<number, readonly string[]>();
  /** Frames copied because a snapshot held them (copy on write). Not state: a measurement. */
  framesCopied = 0;

  /** Bytes the journal holds for the next snapshot's patch. Not state: a measurement. */
  get journaledBytes(): number {
    return this.journal?.bytes ?? 0;
  }
  private readonly wordsPerFrame: number;
  /** log2 of the page size: a journal's offsets take this many bits. */
  private readonly offsetBits: number;

  constructor(
    readonly frameCount: number,
    readonly pageSize: number,
    private readonly generation: Generation,
  ) {
    this.bytes = new PersistentVector<Uint8Array | undefined>(frameCount, undefined, this.frames);
    this.refs = new PersistentVector<number>(frameCount, 0, generation);
    this.bufferGen = new Uint32Array(frameCount);
    this.wordsPerFrame = pageSize / 4;
    this.offsetBits = Math.log2(pageSize);
  }

  /**
   * From now on, snapshots build on each other: most hold only a patch (the writes since the one
   * before, 4 bytes a small one beyond its data) instead of sharing frames copied on write, whose
   * 4 KiB a single byte written costs; a key, holding the frames, comes once the patches since
   * the last one pass {@link KEY_AFTER} or what the key itself would hold, if less.
   */
  keepJournal(): void {
    if (this.journal) return;
    this.journal = new MemoryJournal(this.offsetBits);
    this.base = undefined; // what came before went unrecorded: the next snapshot is a key
  }

  // ---- partitions -------------------------------------------------------------------------

  /** Frames not yet given to any partition start here. */
  get unassigned(): number {
    const last = this.partitions.at(-1);
    return last ? last.base + last.frames : 0;
  }

  partition(name: string): Partition | undefined {
    return this.partitions.find((p) => p.name === name);
  }

  allPartitions(): readonly Partition[] {
    return this.partitions;
  }

  /** The partition owning `frame`, if any. */
  ownerOf(frame: number): Partition | undefined {
    return this.partitions.find((p) => frame >= p.base && frame < p.base + p.frames);
  }

  addPartition({ name, base, frames }: Partition): void {
    // A fresh object: one read back from a log may list its fields in another order.
    const partition: Partition = { name, base, frames };
    this.partitions = [...this.partitions, partition];
    this.used.set(partition.name, 0);
    this.hints.set(partition.name, partition.base);
  }

  usedFrames(name: string): number {
    return this.used.get(name) ?? 0;
  }

  /** The lowest `count` free frames of a partition, or undefined if it has fewer free. */
  findFree(name: string, count: number): number[] | undefined {
    const partition = this.partition(name);
    if (!partition || partition.frames - this.usedFrames(name) < count) return undefined;
    const found: number[] = [];
    const end = partition.base + partition.frames;
    for (let frame = this.hints.get(name)!; frame < end && found.length < count; frame++) {
      if (this.refs.get(frame) === 0) found.push(frame);
    }
    return found.length === count ? found : undefined;
  }

  /** Marks frames shared with `partition`, so its spaces may map them. */
  export(frames: readonly number[], partition: string): void {
    for (const frame of frames) {
      const already = this.exports.get(frame) ?? [];
      if (!already.includes(partition)) this.exports.set(frame, [...already, partition].sort());
    }
  }

  /** True if spaces of `partition` may map `frame`: it owns it, or the frame is shared with it. */
  accessibleTo(frame: number, partition: string): boolean {
    return (
      this.ownerOf(frame)?.name === partition ||
      (this.exports.get(frame)?.includes(partition) ?? false)
    );
  }

  /** The partitions `frame` is shared with, beyond its owner. */
  sharedWith(frame: number): readonly string[] {
    return this.exports.get(frame) ?? [];
  }

  // ---- reference counts -------------------------------------------------------------------

  refcount(frame: number): number {
    return this.refs.get(frame);
  }

  incref(frame: number): void {
    const count = this.refs.get(frame);
    if (count === 0) this.adjustUsed(frame, +1);
    else this.refsHash.addPair(frame, count, -1);
    this.refs.set(frame, count + 1);
    this.refsHash.addPair(frame, count + 1, 1);
  }

  /** Drops one reference; a frame nobody holds is freed and its bytes dropped. Returns the new count. */
  decref(frame: number): number {
    const count = this.refs.get(frame) - 1;
    this.refs.set(frame, count);
    this.refsHash.addPair(frame, count + 1, -1);
    if (count > 0) this.refsHash.addPair(frame, count, 1);
    if (count === 0) {
      this.adjustUsed(frame, -1);
      if (this.materialized(frame)) this.recording?.drop(frame);
      this.undo?.buffer(frame, this.bytes.get(frame));
      this.drop(frame);
      this.exports.delete(frame);
    }
    return count;
  }

  private adjustUsed(frame: number, delta: number): void {
    const owner = this.ownerOf(frame);
    if (!owner) return;
    this.used.set(owner.name, this.usedFrames(owner.name) + delta);
    const hint = this.hints.get(owner.name)!;
    if (delta < 0 && frame < hint) this.hints.set(owner.name, frame);
    else if (delta > 0 && frame === hint) this.hints.set(owner.name, frame + 1);
  }

  // ---- bytes ------------------------------------------------------------------------------

  /** True once the frame has been written (an untouched frame reads as zero and takes no memory). */
  materialized(frame: number): boolean {
    return this.bytes.get(frame) !== undefined;
  }

  /** Copies `length` bytes at physical address `pa` into `target` at `offset`; they must not cross a frame. */
  readInto(pa: number, length: number, target: Uint8Array, offset: number): void {
    const frame = Math.floor(pa / this.pageSize);
    const bytes = this.bytes.get(frame);
    if (bytes === undefined) {
      target.fill(0, offset, offset + length);
      return;
    }
    const at = pa - frame * this.pageSize;
    // A loop beats making a subarray view for the small loads and stores that dominate.
    if (length <= 16) for (let i = 0; i < length; i++) target[offset + i] = bytes[at + i]!;
    else target.set(bytes.subarray(at, at + length), offset);
  }

  /** Writes `data` at physical address `pa`; it must not cross a frame. */
  write(pa: number, data: Uint8Array): void {
    const frame = Math.floor(pa / this.pageSize);
    const at = pa - frame * this.pageSize;
    const before = this.undo && this.bytes.get(frame);
    const bytes = this.writable(frame);
    if (this.undo) {
      // A buffer made or copied: putting the old one back undoes the write; else its bytes do.
      if (bytes !== before) this.undo.buffer(frame, before);
      else this.undo.write(frame, bytes, at, data.length);
    }
    this.recording?.write(frame, at, data);
    const firstWord = at >>> 2;
    const lastWord = (at + data.length - 1) >>> 2;
    this.hashWords(frame, bytes, firstWord, lastWord, -1);
    bytes.set(data, at);
    this.hashWords(frame, bytes, firstWord, lastWord, 1);
  }

  /** Copies one frame's bytes into another, a fresh one (a copy-on-write break). */
  copyFrame(from: number, to: number): void {
    const source = this.bytes.get(from);
    this.recording?.copy(from, to);
    this.undo?.buffer(to, this.bytes.get(to));
    this.drop(to);
    if (source === undefined) return;
    const bytes = this.writable(to);
    bytes.set(source);
    this.hashWords(to, bytes, 0, this.wordsPerFrame - 1, 1);
  }

  /** Forgets a frame's bytes (it reads as zero again). */
  private drop(frame: number): void {
    const bytes = this.bytes.get(frame);
    if (bytes === undefined) return;
    this.hashWords(frame, bytes, 0, this.wordsPerFrame - 1, -1);
    this.bytes.set(frame, undefined);
  }

  /** Adds (1) or removes (-1) the non-zero words `first..last` of a frame to the memory hash. */
  private hashWords(
    frame: number,
    bytes: Uint8Array,
    first: number,
    last: number,
    sign: 1 | -1,
  ): void {
    const base = frame * this.wordsPerFrame;
    const baseLo = base >>> 0;
    const baseHi = Math.floor(base / 0x1_0000_0000) >>> 0;
    for (let word = first; word <= last; word++) {
      const i = word << 2;
      const value =
        (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
      if (value === 0) continue;
      // base + word never carries past 2^32 in practice (frames are aligned), but add exactly anyway.
      const lo = baseLo + word;
      if (sign > 0) this.words.add(lo >>> 0, baseHi + (lo > 0xffffffff ? 1 : 0), value, 0x9e3779b9);
      else this.words.remove(lo >>> 0, baseHi + (lo > 0xffffffff ? 1 : 0), value, 0x9e3779b9);
    }
  }

  /** The frame's own buffer, made or copied first if a snapshot may hold the current one. */
  private writable(frame: number): Uint8Array {
    const gen = this.frames.value;
    let bytes = this.bytes.get(frame);
    if (bytes === undefined || this.bufferGen[frame] !== gen) {
      const spare = this.spare.pop();
      if (bytes === undefined) bytes = spare?.fill(0) ?? new Uint8Array(this.pageSize);
      else {
        if (spare) spare.set(bytes);
        bytes = spare ?? bytes.slice();
        this.framesCopied++;
      }
      this.bytes.set(frame, bytes);
      this.bufferGen[frame] = gen;
      this.owned.push(frame);
      this.frames.allocatedBytes += typedArrayBytes(bytes);
    }
    return bytes;
  }

  // ---- snapshots and digests --------------------------------------------------------------

  snapshot(): PhysicalMemorySnapshot {
    const state = this.state();
    let snapshot: PhysicalMemorySnapshot;
    if (this.journal === undefined || this.base === undefined) {
      this.journal?.clear();
      snapshot = { bytes: this.takeFrames(), ...state };
    } else {
      const patch = this.journal.take();
      this.generation.allocatedBytes += patchBytes(patch);
      this.patchedSinceKey += patchLength(patch);
      const key = this.patchedSinceKey >= Math.min(KEY_AFTER, this.frames.allocatedBytes);
      snapshot = { bytes: key ? this.takeFrames() : undefined, base: this.base, patch, ...state };
    }
    this.base = snapshot;
    return snapshot;
  }

  /** All but the frames' bytes, as a snapshot or a checkpoint holds it. */
  private state(): MemoryState {
    return {
      refs: this.refs.snapshot(),
      partitions: this.partitions,
      // Small maps (one entry per partition, per exported frame): copied rather than made persistent.
      used: new Map(this.used),
      hints: new Map(this.hints),
      exports: new Map(this.exports),
      wordsHash: this.words.value,
      refsHash: this.refsHash.value,
    };
  }

  /** Puts back all but the frames' bytes. */
  private restoreState(state: MemoryState): void {
    this.refs.restore(state.refs);
    this.partitions = [...state.partitions];
    this.used = new Map(state.used);
    this.hints = new Map(state.hints);
    this.exports = new Map(state.exports);
    this.words.set(state.wordsHash);
    this.refsHash.set(state.refsHash);
  }

  /**
   * The kernel's rollback point: the bookkeeping, and an undo of the frames from here on (see
   * {@link MemoryUndo}); unlike a snapshot it shares no frame, so no write after it copies one.
   * Only the latest is ever rolled back to.
   */
  checkpoint(): MemoryState {
    if (this.undo) this.undo.clear();
    else this.undo = new MemoryUndo();
    return this.state();
  }

  /** Back to the last checkpoint, which stays the rollback point. */
  rollback(checkpoint: MemoryState): void {
    this.undo?.undo(this.undoTarget);
    this.restoreState(checkpoint);
  }

  /**
   * Where an undo puts frames back: old bytes go into a buffer of the live state's own (a snapshot
   * taken since may hold the current one), and a buffer put back is copied before it changes again.
   */
  private readonly undoTarget = {
    get: (frame: number) => this.writable(frame),
    set: (frame: number, buffer: Uint8Array | undefined) => {
      this.bytes.set(frame, buffer);
      this.bufferGen[frame] = 0;
    },
  };

  /** The frames, for a key snapshot: from now on, a buffer is copied before it changes. */
  private takeFrames(): VectorSnapshot<Uint8Array | undefined> {
    const frames = this.bytes.snapshot();
    // Buffers and chunks count as made when a key takes them: until then no snapshot holds them,
    // and a restore may drop them unheld.
    this.generation.allocatedBytes += this.frames.allocatedBytes;
    this.frames.allocatedBytes = 0;
    this.frames.next();
    this.owned = [];
    this.patchedSinceKey = 0;
    return frames;
  }

  restore(snapshot: PhysicalMemorySnapshot): void {
    // The nearest key at or before the snapshot, then the patches from it, oldest first.
    const patches: MemoryPatch[] = [];
    let key = snapshot;
    let patched = 0;
    while (key.bytes === undefined) {
      patches.push(key.patch!);
      patched += patchLength(key.patch!);
      key = key.base!;
    }
    this.reclaimOwned();
    this.bytes.restore(key.bytes);
    this.frames.next();
    this.frames.allocatedBytes = 0;
    for (let i = patches.length - 1; i >= 0; i--)
      replayPatch(patches[i]!, this.offsetBits, this.patchTarget);
    this.patchedSinceKey = patched;
    this.restoreState(snapshot);
    this.journal?.clear();
    this.undo = undefined; // a restore is no rollback: what came before it is gone
    this.base = snapshot;
  }

  /** Takes the live state's own buffers as spares, before a restore lets go of them. */
  private reclaimOwned(): void {
    for (const frame of this.owned) {
      const bytes = this.bytes.get(frame);
      if (bytes === undefined || this.bufferGen[frame] !== this.frames.value) continue;
      this.bufferGen[frame] = 0; // once, though the frame may be listed twice
      if (this.spare.length < this.frameCount) this.spare.push(bytes);
    }
    this.owned = [];
  }

  /** Replays a patch's operations onto the frames; the memory hash is set after, from the snapshot. */
  private readonly patchTarget: PatchTarget = {
    write: (frame, at, data, start, length) => {
      const bytes = this.writable(frame);
      if (length <= 16) for (let i = 0; i < length; i++) bytes[at + i] = data[start + i]!;
      else bytes.set(data.subarray(start, start + length), at);
    },
    copy: (from, to) => {
      const source = this.bytes.get(from);
      if (source === undefined) this.bytes.set(to, undefined);
      else this.writable(to).set(source);
    },
    drop: (frame) => this.bytes.set(frame, undefined),
  };

  /**
   * Counts, into `footprint`, what a snapshot holds not met yet: the patches back along its bases
   * (each holds the one before) and the frame buffers and directory chunks of keys.
   */
  static measure(snapshot: PhysicalMemorySnapshot, footprint: Footprint): void {
    for (
      let s: PhysicalMemorySnapshot | undefined = snapshot;
      s !== undefined && footprint.add(s, 0);
      s = s.base
    ) {
      if (s.patch) {
        footprint.add(s.patch.ops, typedArrayBytes(s.patch.ops));
        footprint.add(s.patch.data, typedArrayBytes(s.patch.data));
      }
      footprint.add(s.refs, arrayBytes(s.refs.length));
      for (const chunk of s.refs) if (chunk) footprint.add(chunk, arrayBytes(chunk.items.length));
      if (s.bytes === undefined) continue;
      footprint.add(s.bytes, arrayBytes(s.bytes.length));
      for (const chunk of s.bytes) {
        if (chunk === undefined || !footprint.add(chunk, arrayBytes(chunk.items.length))) continue;
        for (const bytes of chunk.items) if (bytes) footprint.add(bytes, typedArrayBytes(bytes));
      }
    }
  }

  /**
   * Counts, into `footprint`, what the snapshot the next one will build on holds: with
   * incremental snapshots, the live state keeps it (and what it builds on) even once dropped.
   */
  measureBase(footprint: Footprint): void {
    if (this.journal && this.base) PhysicalMemory.measure(this.base, footprint);
  }

  /**
   * Lets every other key that builds on another snapshot (of those these snapshots hold, back
   * along their bases) go of its frames: restoring through it then replays its patch from the key
   * before. The live state lets go of its base too when none of them needs it (the next snapshot
   * is a key), so what only dropped snapshots held can go. False when no key could shed.
   */
  shed(snapshots: readonly PhysicalMemorySnapshot[]): boolean {
    const seen = new Set<PhysicalMemorySnapshot>();
    const keys: PhysicalMemorySnapshot[] = [];
    for (const snapshot of snapshots)
      for (let s: PhysicalMemorySnapshot | undefined = snapshot; s && !seen.has(s); s = s.base) {
        seen.add(s);
        if (s.bytes !== undefined && s.base !== undefined) keys.push(s);
      }
    for (let i = keys.length === 1 ? 0 : 1; i < keys.length; i += 2) keys[i]!.bytes = undefined;
    if (this.base && !seen.has(this.base)) {
      this.base = undefined;
      this.journal?.clear();
    }
    return keys.length > 0;
  }

  /** Feeds the memory's state to a hash: partitions, shares, reference counts and contents, in O(partitions + shares). */
  hashInto(hash: Hash): void {
    const exports = [...this.exports].sort((a, b) => a[0] - b[0]);
    hash.update(
      canonicalJson({
        partitions: this.partitions,
        exports,
        words: this.words.value,
        refs: this.refsHash.value,
      }),
    );
  }
}
