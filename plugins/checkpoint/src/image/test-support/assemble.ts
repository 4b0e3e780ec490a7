import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/*
 * Checkpoint files built by hand from FORMAT.md, not by the encoder: to make files the encoder
 * never would (inconsistent manifests, mis-sized frames), with a right trailer so that the decoder
 * must find what is wrong itself, and to check the encoder's layout against the document.
 */

/** The parts of a checkpoint file; what is not given is derived as the format says. */
export interface RawCheckpoint {
  readonly magic?: string;
  readonly format?: number;
  /** The manifest's text, or any value to write as JSON. */
  readonly manifest: string | object;
  /** Frame data; each record's CRC is the data's unless `crcs` says otherwise. */
  readonly frames?: readonly Uint8Array[];
  readonly crcs?: readonly number[];
  /** The header's frame count, where it should not be the number of `frames`. */
  readonly frameCount?: number;
}

/** The bytes of `raw`, with a trailer that matches them. */
export function assemble(raw: RawCheckpoint): Uint8Array {
  const magic = Buffer.from(raw.magic ?? 'CVCKPT\0\0', 'latin1');
  const manifest = Buffer.from(
    typeof raw.manifest === 'string' ? raw.manifest : JSON.stringify(raw.manifest),
    'utf8',
  );
  const frames = raw.frames ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt32LE(raw.format ?? 1, 0);
  header.writeUInt32LE(manifest.length, 4);
  header.writeUInt32LE(raw.frameCount ?? frames.length, 8);
  const records = frames.map((data, i) => {
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(raw.crcs?.[i] ?? crc32(data), 0);
    return Buffer.concat([crc, data]);
  });
  return withTrailer(Buffer.concat([magic, header, manifest, ...records]));
}

/** `body` followed by its SHA-256, as a checkpoint's trailer. */
export function withTrailer(body: Uint8Array): Uint8Array {
  const trailer = createHash('sha256').update(body).digest();
  return new Uint8Array(Buffer.concat([body, trailer]));
}

/** `bytes` with its trailer made right again after an edit, so only the edit is wrong. */
export function retrail(bytes: Uint8Array): Uint8Array {
  return withTrailer(bytes.subarray(0, bytes.length - 32));
}
