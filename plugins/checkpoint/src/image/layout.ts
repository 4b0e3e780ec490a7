import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { CheckpointImageError } from './image-error';

/*
 * The fixed sizes of the two layouts (see FORMAT.md, and the comments atop encode-checkpoint.ts
 * and seal.ts), shared by the writers and the readers so that the two cannot disagree.
 */

/** The first 8 bytes of every plain checkpoint image: `CVCKPT` and two zero bytes. */
export const MAGIC: Uint8Array = Uint8Array.of(0x43, 0x56, 0x43, 0x4b, 0x50, 0x54, 0, 0);
/** Magic, format u32, manifest length u32, frame count u32. */
export const HEADER_BYTES = 20;
/** Offsets of the header's three numbers. */
export const FORMAT_AT = 8;
export const MANIFEST_LENGTH_AT = 12;
export const FRAME_COUNT_AT = 16;
/** What each frame's record holds before its `pageSize` bytes: their CRC-32, u32. */
export const FRAME_CRC_BYTES = 4;
/** The SHA-256 of everything before it. */
export const TRAILER_BYTES = 32;

/** The first 8 bytes of every sealed checkpoint: `CVSEAL` and two zero bytes. */
export const SEAL_MAGIC: Uint8Array = Uint8Array.of(0x43, 0x56, 0x53, 0x45, 0x41, 0x4c, 0, 0);
/** Where a sealed checkpoint's format u32 and key id length u8 are; its key id follows. */
export const SEAL_FORMAT_AT = 8;
export const SEAL_KEY_ID_LENGTH_AT = 12;
export const SEAL_KEY_ID_AT = 13;
/** AES-256-GCM: its key, its IV (the caller's nonce) and its tag. */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** The ciphertext's length, u32, after the nonce. */
export const CIPHERTEXT_LENGTH_BYTES = 4;
/** The longest key id: its length is a u8. */
export const MAX_KEY_ID_BYTES = 255;

/** The largest value of a header's u32 fields. */
export const U32_MAX = 2 ** 32 - 1;

/** The CRC-32 of a frame's bytes, as its record keeps it (node:zlib's crc32). */
export function frameChecksum(data: Uint8Array): number {
  return crc32(data);
}

/** The trailer of an image whose bytes before the trailer are `body`. */
export function trailerOf(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(body).digest());
}

/** Whether `bytes` begins with the 8 bytes of `magic`. */
export function startsWith(bytes: Uint8Array, magic: Uint8Array): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);
}

/** `0x3000`: how addresses appear in messages, as the MMU prints them. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** `0x7f454c46`: a few bytes in messages, `nothing` for none. */
export function hexBytes(bytes: Uint8Array): string {
  return bytes.length === 0
    ? 'nothing'
    : `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Refuses a file too short to hold `length` bytes of `part` at `offset`; `about` says more of the
 * part (how many frames, which key), before its offset.
 */
export function need(
  bytes: Uint8Array,
  source: string,
  part: string,
  offset: number,
  length: number,
  about?: string,
): void {
  const found = Math.max(0, bytes.length - offset);
  if (found < length)
    throw new CheckpointImageError(
      `${source} is truncated in ${part} (${about ? `${about}, ` : ''}at byte ${offset}): expected ${length} bytes, found ${found}`,
    );
}
