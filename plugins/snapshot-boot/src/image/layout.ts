import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/*
 * The fixed sizes of the image layout (see FORMAT.md and the comment atop encode-image.ts), shared
 * by the encoder and the decoder so that the two cannot disagree.
 */

/** The first 8 bytes of every image: `CVSNAP` and two zero bytes. */
export const MAGIC: Uint8Array = Uint8Array.of(0x43, 0x56, 0x53, 0x4e, 0x41, 0x50, 0, 0);
/** Magic, format u32, manifest length u32, page count u32. */
export const HEADER_BYTES = 20;
/** Offsets of the header's three numbers. */
export const FORMAT_AT = 8;
export const MANIFEST_LENGTH_AT = 12;
export const PAGE_COUNT_AT = 16;
/** One entry of the page index: gpa u64, CRC-32 u32. */
export const INDEX_ENTRY_BYTES = 12;
/** The SHA-256 of everything before it. */
export const TRAILER_BYTES = 32;
/** The largest value of a header's u32 fields. */
export const U32_MAX = 2 ** 32 - 1;

/** The CRC-32 of a page, as the index keeps it (node:zlib's crc32). */
export function pageChecksum(data: Uint8Array): number {
  return crc32(data);
}

/** The trailer of an image whose bytes before the trailer are `body`. */
export function trailerOf(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(body).digest());
}

/** `0x3000`: how addresses appear in messages, as the MMU prints them. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
