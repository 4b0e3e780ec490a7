import { typedArrayBytes } from '@chronovisor/core';

/**
 * What physical memory's bytes went through between two snapshots, in order: writes (frame,
 * offset, the bytes), frame copies and frames dropped. Replaying it onto the first state gives
 * the second; a small write costs 4 bytes here plus its data, less than the log spends on it.
 */
export interface MemoryPatch {
  readonly ops: Uint32Array;
  readonly data: Uint8Array;
}

/** Where {@link replayPatch} sends each operation of a patch. */
export interface PatchTarget {
  /** Copies `length` bytes of `data` from `start` into `frame` at `at`. */
  write(frame: number, at: number, data: Uint8Array, start: number, length: number): void;
  copy(from: number, to: number): void;
  drop(frame: number): void;
}

// Each operation starts with a tag word, its kind in the top two bits. The write of at most 8
// bytes to a low frame (most of them) is that word alone: its length − 1 in three bits, then the
// frame and the offset, which takes the page's bits. Other writes put their offset and, when
// under 256, their length in the tag, then the frame (and a longer length) in words after.
const COMPACT = 0;
const WRITE = 1;
const COPY = 2; // then the target frame and the source frame
const DROP = 3; // then the frame
const KIND_SHIFT = 30;
const COMPACT_LENGTH_SHIFT = 27;

/** Records operations into a {@link MemoryPatch}; its buffers grow by doubling and are reused. */
export class MemoryJournal {
  private ops = new Uint32Array(1024);
  private opsLength = 0;
  private data = new Uint8Array(8192);
  private dataLength = 0;
  /** Frames below this fit a compact write's tag. */
  private readonly compactFrames: number;

  /** `offsetBits`: log2 of the page size (at most 21). */
  constructor(private readonly offsetBits: number) {
    this.compactFrames = compactFrameLimit(offsetBits);
  }

  /** Bytes the patch taken now would hold. */
  get bytes(): number {
    return this.opsLength * 4 + this.dataLength;
  }

  write(frame: number, at: number, bytes: Uint8Array): void {
    const length = bytes.length;
    if (length === 0) return;
    this.reserve(3);
    if (length <= 8 && frame < this.compactFrames)
      this.ops[this.opsLength++] =
        ((length - 1) << COMPACT_LENGTH_SHIFT) | (frame << this.offsetBits) | at;
    else {
      const short = length < 256;
      this.ops[this.opsLength++] = (WRITE << KIND_SHIFT) | ((short ? length : 0) << 22) | at;
      this.ops[this.opsLength++] = frame;
      if (!short) this.ops[this.opsLength++] = length;
    }
    if (this.dataLength + length > this.data.length) {
      const grown = new Uint8Array(Math.max(this.data.length * 2, this.dataLength + length));
      grown.set(this.data.subarray(0, this.dataLength));
      this.data = grown;
    }
    // A loop beats `set` with a subarray view for the small writes that dominate.
    if (length <= 16) for (let i = 0; i < length; i++) this.data[this.dataLength + i] = bytes[i]!;
    else this.data.set(bytes, this.dataLength);
    this.dataLength += length;
  }

  copy(from: number, to: number): void {
    this.reserve(3);
    this.ops[this.opsLength++] = COPY << KIND_SHIFT;
    this.ops[this.opsLength++] = to;
    this.ops[this.opsLength++] = from;
  }

  drop(frame: number): void {
    this.reserve(2);
    this.ops[this.opsLength++] = DROP << KIND_SHIFT;
    this.ops[this.opsLength++] = frame;
  }

  /** The operations since the last take (or clear), as a patch of their own; starts afresh. */
  take(): MemoryPatch {
    const patch = {
      ops: this.ops.slice(0, this.opsLength),
      data: this.data.slice(0, this.dataLength),
    };
    this.clear();
    return patch;
  }

  clear(): void {
    this.opsLength = 0;
    this.dataLength = 0;
  }

  private reserve(words: number): void {
    if (this.opsLength + words <= this.ops.length) return;
    const grown = new Uint32Array(this.ops.length * 2);
    grown.set(this.ops);
    this.ops = grown;
  }
}

/** Frames below this fit a compact write's tag, with pages of 2^`offsetBits` bytes. */
const compactFrameLimit = (offsetBits: number): number => 2 ** (COMPACT_LENGTH_SHIFT - offsetBits);

/**
 * Sends a patch's operations to `target`, in the order they happened; `offsetBits` as the
 * journal that recorded it had. Needs no journal: restoring replays without recording.
 */
export function replayPatch(
  { ops, data }: MemoryPatch,
  offsetBits: number,
  target: PatchTarget,
): void {
  const offsetMask = 2 ** offsetBits - 1;
  const frameMask = compactFrameLimit(offsetBits) - 1;
  let d = 0;
  for (let i = 0; i < ops.length;) {
    const tag = ops[i++]!;
    switch (tag >>> KIND_SHIFT) {
      case COMPACT: {
        const length = ((tag >>> COMPACT_LENGTH_SHIFT) & 7) + 1;
        target.write((tag >>> offsetBits) & frameMask, tag & offsetMask, data, d, length);
        d += length;
        break;
      }
      case WRITE: {
        const frame = ops[i++]!;
        const length = (tag >>> 22) & 0xff || ops[i++]!;
        target.write(frame, tag & 0x3fffff, data, d, length);
        d += length;
        break;
      }
      case COPY:
        target.copy(ops[i + 1]!, ops[i]!);
        i += 2;
        break;
      default:
        target.drop(ops[i++]!);
    }
  }
}

/** Bytes of operations and data a patch carries: what a restore through it replays. */
export const patchLength = (patch: MemoryPatch): number =>
  patch.ops.byteLength + patch.data.byteLength;

/** Bytes a patch holds (its two arrays). */
export const patchBytes = (patch: MemoryPatch): number =>
  typedArrayBytes(patch.ops) + typedArrayBytes(patch.data);
