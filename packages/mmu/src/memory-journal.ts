import { typedArrayBytes } from '@chronovisor/core';

/**
 * What physical memory's bytes went through between two snapshots, in order: writes (frame,
 * offset, the bytes), frame copies and frames dropped. Replaying it onto the first state gives
 * the second; a write costs 8 bytes here plus its data, about what the log spends on it.
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

// An operation is the frame, then a tag word: its kind in the top two bits. A short write keeps
// its length (1–255) in the low byte and its offset above (pages are at most 2 MiB: 21 bits).
const SHORT_WRITE = 0;
const LONG_WRITE = 1; // offset in the tag, length in the word after
const COPY = 2; // source frame in the word after
const DROP = 3;
const KIND_SHIFT = 30;

/** Records operations into a {@link MemoryPatch}; its buffers grow by doubling and are reused. */
export class MemoryJournal {
  private ops = new Uint32Array(1024);
  private opsLength = 0;
  private data = new Uint8Array(8192);
  private dataLength = 0;

  /** Bytes the patch taken now would hold. */
  get bytes(): number {
    return this.opsLength * 4 + this.dataLength;
  }

  write(frame: number, at: number, bytes: Uint8Array): void {
    const length = bytes.length;
    if (length === 0) return;
    if (length < 256) this.op(frame, (SHORT_WRITE << KIND_SHIFT) | (at << 8) | length);
    else this.op(frame, (LONG_WRITE << KIND_SHIFT) | at, length);
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
    this.op(to, (COPY << KIND_SHIFT) >>> 0, from);
  }

  drop(frame: number): void {
    this.op(frame, (DROP << KIND_SHIFT) >>> 0);
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

  private op(frame: number, tag: number, extra?: number): void {
    if (this.opsLength + 3 > this.ops.length) {
      const grown = new Uint32Array(this.ops.length * 2);
      grown.set(this.ops);
      this.ops = grown;
    }
    this.ops[this.opsLength++] = frame;
    this.ops[this.opsLength++] = tag;
    if (extra !== undefined) this.ops[this.opsLength++] = extra;
  }
}

/** Bytes a patch holds (its two arrays). */
export const patchBytes = (patch: MemoryPatch): number =>
  typedArrayBytes(patch.ops) + typedArrayBytes(patch.data);

/** Sends a patch's operations to `target`, in the order they happened. */
export function replayPatch({ ops, data }: MemoryPatch, target: PatchTarget): void {
  let d = 0;
  for (let i = 0; i < ops.length;) {
    const frame = ops[i++]!;
    const tag = ops[i++]!;
    switch (tag >>> KIND_SHIFT) {
      case SHORT_WRITE: {
        const length = tag & 0xff;
        target.write(frame, (tag >>> 8) & 0x3fffff, data, d, length);
        d += length;
        break;
      }
      case LONG_WRITE: {
        const length = ops[i++]!;
        target.write(frame, tag & 0x3fffffff, data, d, length);
        d += length;
        break;
      }
      case COPY:
        target.copy(ops[i++]!, frame);
        break;
      default:
        target.drop(frame);
    }
  }
}
