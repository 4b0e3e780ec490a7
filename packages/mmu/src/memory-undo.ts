/**
 * What memory's frames went through since the kernel's last checkpoint, to undo it: the old bytes
 * of each write, and the buffer each frame held before it was dropped, replaced or made. Unlike a
 * snapshot, a checkpoint this way shares no frame, so the writes after it copy none (a snapshot
 * makes the first write to every page copy its 4 KiB); it costs the bytes written, and holds no
 * object but the buffers it replaced.
 */
export class MemoryUndo {
  /** Per entry: the frame, the offset (or -1: `buffers` holds the frame's buffer before), the length. */
  private entries: number[] = [];
  private buffers: (Uint8Array | undefined)[] = [];
  private bytes = new Uint8Array(4096);
  private used = 0;

  /** Before `length` bytes at `at` of a frame's buffer change: keeps them. */
  write(frame: number, buffer: Uint8Array, at: number, length: number): void {
    if (this.used + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    if (length <= 16) for (let i = 0; i < length; i++) this.bytes[this.used + i] = buffer[at + i]!;
    else this.bytes.set(buffer.subarray(at, at + length), this.used);
    this.used += length;
    this.entries.push(frame, at, length);
  }

  /** Before a frame's buffer is dropped, replaced or made: keeps the one it has (or none). */
  buffer(frame: number, buffer: Uint8Array | undefined): void {
    this.buffers.push(buffer);
    this.entries.push(frame, -1, 0);
  }

  /** Undoes everything kept, newest first, through `target`, and starts again from there. */
  undo(target: {
    set(frame: number, buffer: Uint8Array | undefined): void;
    /** The frame's buffer, to write old bytes into. */
    get(frame: number): Uint8Array;
  }): void {
    let at = this.used;
    let buffer = this.buffers.length;
    for (let i = this.entries.length - 3; i >= 0; i -= 3) {
      const frame = this.entries[i]!;
      const offset = this.entries[i + 1]!;
      const length = this.entries[i + 2]!;
      if (offset < 0) target.set(frame, this.buffers[--buffer]);
      else {
        at -= length;
        target.get(frame).set(this.bytes.subarray(at, at + length), offset);
      }
    }
    this.clear();
  }

  clear(): void {
    this.entries = [];
    this.buffers = [];
    this.used = 0;
  }
}
