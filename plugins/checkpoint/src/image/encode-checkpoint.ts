/*
 * The checkpoint image file format, version 2 (a process tree, after CRIU's image files and
 * US7275183B2). FORMAT.md says the same at more length; a change here is a new format version,
 * and the golden file test (fixtures/golden-v1.ckpt) fails until it is one.
 *
 * Little-endian throughout:
 *
 *   offset              size            what
 *   0                   8               magic "CVCKPT\0\0"
 *   8                   4               format u32 (= 2; 1 is read, and written for an image read as 1)
 *   12                  4               manifest length M u32
 *   16                  4               frame count N u32
 *   20                  M               manifest: UTF-8 JSON, canonical (keys sorted, no spaces):
 *                                       the image without `frames`, a pipe's `buffered` bytes
 *                                       as a base64 string
 *   20+M                N·(4+pageSize)  frames, in index order: each its CRC-32 u32, then its
 *                                       pageSize bytes
 *   20+M+N·(4+pageSize) 32              trailer: SHA-256 of every byte before it
 *
 * The manifest is canonical so that equal images give equal bytes (and equal trailers). Each frame
 * has its own CRC so that a damaged frame is named, rather than the whole file refused for a
 * trailer mismatch; the trailer then covers what no CRC does: header and manifest.
 *
 * A sealed checkpoint (seal.ts) is these bytes encrypted: its own magic, "CVSEAL\0\0".
 */
import { canonicalJson, describeIssues } from '@chronovisor/core';
import { checkpointImageSchema, manifestOf, type CheckpointImage } from './checkpoint-image';
import { CheckpointImageError } from './image-error';
import {
  FORMAT_AT,
  FRAME_COUNT_AT,
  FRAME_CRC_BYTES,
  HEADER_BYTES,
  MAGIC,
  MANIFEST_LENGTH_AT,
  TRAILER_BYTES,
  U32_MAX,
  frameChecksum,
  trailerOf,
} from './layout';

/**
 * The bytes of an image file holding `image`. The image is checked first, as reading checks it,
 * so that every file written can be read back: a CheckpointImageError names the field at fault
 * (`processes[3].memory[0].frames[2]`).
 */
export function encodeCheckpoint(image: CheckpointImage): Uint8Array {
  const checked = checkpointImageSchema.safeParse(image);
  if (!checked.success)
    throw new CheckpointImageError(
      `${nameOf(image)} cannot be encoded: ${describeIssues(checked.error.issues)}`,
    );
  const { frames, pageSize } = checked.data;
  const manifestBytes = new TextEncoder().encode(canonicalJson(manifestOf(checked.data)));
  if (manifestBytes.length > U32_MAX || frames.length > U32_MAX)
    throw new CheckpointImageError(
      `${nameOf(image)} cannot be encoded: its manifest (${manifestBytes.length} bytes) or its frame count (${frames.length}) does not fit the header's 32 bits`,
    );

  const framesStart = HEADER_BYTES + manifestBytes.length;
  const record = FRAME_CRC_BYTES + pageSize;
  const trailerStart = framesStart + frames.length * record;
  const out = new Uint8Array(trailerStart + TRAILER_BYTES);
  const view = new DataView(out.buffer);

  out.set(MAGIC, 0);
  view.setUint32(FORMAT_AT, image.format, true);
  view.setUint32(MANIFEST_LENGTH_AT, manifestBytes.length, true);
  view.setUint32(FRAME_COUNT_AT, frames.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  frames.forEach((frame, i) => {
    const at = framesStart + i * record;
    view.setUint32(at, frameChecksum(frame), true);
    out.set(frame, at + FRAME_CRC_BYTES);
  });
  out.set(trailerOf(out.subarray(0, trailerStart)), trailerStart);
  return out;
}

/** `checkpoint "tree"`, or `the checkpoint` where it has no usable name. */
export function nameOf(image: CheckpointImage): string {
  const name: unknown = (image as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? `checkpoint ${JSON.stringify(name)}` : 'the checkpoint';
}
