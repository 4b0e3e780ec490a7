import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/*
 * Image files built by hand from FORMAT.md, not by the encoder: to make files the encoder never
 * would (out of order, misplaced, mis-sized), sealed with a right trailer so that the decoder
 * must find what is wrong itself, and to check the encoder's layout against the document.
 */

/** The parts of an image file; what is not given is derived as the format says. */
export interface RawImage {
  readonly magic?: string;
  readonly format?: number;
  /** The manifest's text, or any value to write as JSON. */
  readonly manifest: string | object;
  /** Page data; a page's index entry takes its gpa from `gpas` and its CRC from the data. */
  readonly pages?: readonly Uint8Array[];
  readonly gpas?: readonly (number | bigint)[];
  /** Index CRCs to write instead of the pages' own. */
  readonly crcs?: readonly number[];
}

/** The bytes of `raw`, with a trailer that matches them. */
export function assemble(raw: RawImage): Uint8Array {
  const magic = Buffer.from(raw.magic ?? 'CVSNAP\0\0', 'latin1');
  const manifest = Buffer.from(
    typeof raw.manifest === 'string' ? raw.manifest : JSON.stringify(raw.manifest),
    'utf8',
  );
  const pages = raw.pages ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt32LE(raw.format ?? 1, 0);
  header.writeUInt32LE(manifest.length, 4);
  header.writeUInt32LE(pages.length, 8);
  const index = Buffer.concat(
    pages.map((data, i) => {
      const entry = Buffer.alloc(12);
      entry.writeBigUInt64LE(BigInt(raw.gpas?.[i] ?? 0), 0);
      entry.writeUInt32LE(raw.crcs?.[i] ?? crc32(data), 8);
      return entry;
    }),
  );
  return seal(Buffer.concat([magic, header, manifest, index, ...pages]));
}

/** `body` followed by its SHA-256, as an image's trailer. */
export function seal(body: Uint8Array): Uint8Array {
  const trailer = createHash('sha256').update(body).digest();
  return new Uint8Array(Buffer.concat([body, trailer]));
}

/** `bytes` with its trailer made right again after an edit, so only the edit is wrong. */
export function reseal(bytes: Uint8Array): Uint8Array {
  return seal(bytes.subarray(0, bytes.length - 32));
}
