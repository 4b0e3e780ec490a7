/**
 * Tagged pointers and the allocation info word (US12292828B2): the pointer handed to the program
 * packs the block's address and, above it, the low bits of its allocation count; the info word,
 * kept out of band at a virtual address derived from the block's start, holds the access
 * authority (allocated or freed) and the count. A pointer is only as good as the match of the two.
 */
export interface PointerLayout {
  readonly addressBits: number;
  readonly tagBits: number;
}

/** Bytes of allocation info per granule of heap. */
export const INFO_BYTES = 2;
const ALLOCATED = 0x8000;
/** Counts are kept in 15 bits and wrap from 32767 back to 1 (0 means "never allocated here"). */
const COUNT_MASK = 0x7fff;

export function packPointer(address: number, tag: number, layout: PointerLayout): number {
  return tag * 2 ** layout.addressBits + address;
}

export function addressOf(pointer: number, layout: PointerLayout): number {
  return pointer % 2 ** layout.addressBits;
}

export function tagOf(pointer: number, layout: PointerLayout): number {
  return Math.floor(pointer / 2 ** layout.addressBits);
}

/** The tag a block with this allocation count carries: the count's low bits, which wrap. */
export function tagOfCount(count: number, tagBits: number): number {
  return count % 2 ** tagBits;
}

/** The count after one more allocation at the same place. */
export function nextCount(count: number): number {
  return (count % COUNT_MASK) + 1;
}

/** What the info word at a block's start says. */
export interface AllocationInfo {
  readonly allocated: boolean;
  /** 0: nothing was ever allocated here. */
  readonly count: number;
}

export function encodeInfo(info: AllocationInfo): Uint8Array {
  const word = (info.allocated ? ALLOCATED : 0) | (info.count & COUNT_MASK);
  return Uint8Array.of(word & 0xff, word >>> 8);
}

/** The allocation count of the info word at `offset` of `bytes`, without the rest of it. */
export function countAt(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8)) & COUNT_MASK;
}

/** The info word at `offset` of `bytes` (little-endian, as the MMU stores it). */
export function decodeInfo(bytes: Uint8Array, offset = 0): AllocationInfo {
  const word = bytes[offset]! | (bytes[offset + 1]! << 8);
  return { allocated: (word & ALLOCATED) !== 0, count: word & COUNT_MASK };
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
