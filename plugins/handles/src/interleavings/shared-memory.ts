/**
 * The simulated threads' shared memory: words at fake addresses, one page per table. Tables sit
 * at page-aligned addresses (0x1000, 0x2000, …) so that, as in NT, the low bits of a table's
 * address are free to carry the level count in the table code; page 0 holds that code.
 */

/** Bytes per page: only the page number and the word within it matter. */
export const PAGE_BYTES = 0x1000;
/** Words per page: room for 8 two-word entries (the split-entry leaf), the largest table. */
export const PAGE_WORDS = 16;
/** The table code word (and, split, the pointer half). */
export const CODE_ADDRESS = 0x0;
/** The level count's own word, used only when the code is split in two. */
export const LEVELS_ADDRESS = 0x1;

/**
 * Word-addressed memory: address `page * 0x1000 + i` is word i of that page. Every access is one
 * atomic step's worth; stores remember what they overwrote so that the explorer can undo a step
 * without copying the whole memory.
 */
export class SharedMemory {
  readonly words: Int32Array;
  /** The slot of `words` the last store changed, or −1; the explorer resets it before a step. */
  lastSlot = -1;
  /** What that slot held before. */
  lastOld = 0;

  constructor(readonly pages: number) {
    this.words = new Int32Array(pages * PAGE_WORDS);
  }

  /** Whether `address` is the start of a table: what a walk may follow. */
  isTable(address: number): boolean {
    const page = Math.floor(address / PAGE_BYTES);
    return address % PAGE_BYTES === 0 && page >= 1 && page < this.pages;
  }

  load(address: number): number {
    return this.words[slotOf(address)]!;
  }

  store(address: number, value: number): void {
    const slot = slotOf(address);
    this.lastSlot = slot;
    this.lastOld = this.words[slot]!;
    this.words[slot] = value;
  }
}

function slotOf(address: number): number {
  return (address >>> 12) * PAGE_WORDS + (address & (PAGE_BYTES - 1));
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
