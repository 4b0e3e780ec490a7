import { describeIssues, parseJsonDocument } from '@chronovisor/core';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMATS,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  checkpointManifestSchema,
  consistencyProblems,
  imageOf,
  type CheckpointImage,
  type CheckpointManifest,
} from './checkpoint-image';
import { CheckpointImageError } from './image-error';
import {
  FORMAT_AT,
  FRAME_COUNT_AT,
  FRAME_CRC_BYTES,
  HEADER_BYTES,
  MAGIC,
  MANIFEST_LENGTH_AT,
  SEAL_MAGIC,
  TRAILER_BYTES,
  frameChecksum,
  hexBytes,
  need,
  startsWith,
  trailerOf,
} from './layout';

/**
 * Reads a checkpoint image file's bytes (see encode-checkpoint.ts for the layout), checking
 * everything: the header, the manifest against its schema and across its fields, the length,
 * every frame's CRC, then the trailer. The frames' CRCs come before the trailer so that a damaged
 * frame is named rather than reported as a mismatch of the whole file. `source` names the file in
 * messages. Throws a {@link CheckpointImageError} saying what is wrong and where.
 */
export function decodeCheckpoint(bytes: Uint8Array, source: string): CheckpointImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { format, manifestLength, frameCount } = readHeader(bytes, view, source);
  const manifest = readManifest(bytes, source, manifestLength, frameCount);
  if (manifest.format !== format)
    throw new CheckpointImageError(
      `${source} says format ${format} in its header (at byte ${FORMAT_AT}) but ${manifest.format} in its manifest`,
    );
  const { pageSize } = manifest;
  const framesStart = HEADER_BYTES + manifestLength;
  const record = FRAME_CRC_BYTES + pageSize;
  const trailerStart = checkLength(bytes, source, framesStart, frameCount, pageSize);

  const recordAt = (i: number) => framesStart + i * record;
  const dataOf = (i: number) => bytes.subarray(recordAt(i) + FRAME_CRC_BYTES, recordAt(i) + record);
  const damaged: number[] = [];
  for (let i = 0; i < frameCount; i++)
    if (frameChecksum(dataOf(i)) !== view.getUint32(recordAt(i), true)) damaged.push(i);
  if (damaged.length > 0) {
    const [first] = damaged as [number];
    const others = damaged.length - 1;
    throw new CheckpointImageError(
      `frame ${first} of ${source} fails its checksum: its bytes were altered (at byte ${recordAt(first)}${others > 0 ? `; ${others} more ${others === 1 ? 'frame fails' : 'frames fail'} too` : ''})`,
    );
  }

  const trailer = bytes.subarray(trailerStart);
  if (!Buffer.from(trailerOf(bytes.subarray(0, trailerStart))).equals(trailer))
    throw new CheckpointImageError(
      `${source} fails its SHA-256 trailer check though every frame passes its checksum: its header or manifest was altered (or the trailer itself, at byte ${trailerStart})`,
    );

  // Copies, so that the image neither pins the file's buffer nor changes with it.
  const frames = Array.from({ length: frameCount }, (_, i) => new Uint8Array(dataOf(i)));
  return imageOf(manifest, frames);
}

function readHeader(
  bytes: Uint8Array,
  view: DataView,
  source: string,
): { format: number; manifestLength: number; frameCount: number } {
  if (startsWith(bytes, SEAL_MAGIC))
    throw new CheckpointImageError(
      `${source} is a sealed checkpoint, not a plain one: it opens only with its owner's keyring`,
    );
  const start = bytes.subarray(0, MAGIC.length);
  if (!start.every((byte, i) => byte === MAGIC[i]))
    throw new CheckpointImageError(
      `${source} is not a Chronovisor checkpoint image: it starts with ${hexBytes(start)}, not the magic "CVCKPT\\0\\0"`,
    );
  need(bytes, source, 'its header', 0, HEADER_BYTES);
  const format = view.getUint32(FORMAT_AT, true);
  const read = `this Chronovisor reads formats ${CHECKPOINT_FORMATS.join(' and ')}`;
  if (format > CHECKPOINT_FORMAT)
    throw new CheckpointImageError(
      `${source} is in checkpoint format ${format}, written by a newer Chronovisor: ${read}`,
    );
  if (!(CHECKPOINT_FORMATS as readonly number[]).includes(format))
    throw new CheckpointImageError(
      `${source} has an unknown checkpoint format ${format} (at byte ${FORMAT_AT}): ${read}`,
    );
  return {
    format,
    manifestLength: view.getUint32(MANIFEST_LENGTH_AT, true),
    frameCount: view.getUint32(FRAME_COUNT_AT, true),
  };
}

function readManifest(
  bytes: Uint8Array,
  source: string,
  length: number,
  frameCount: number,
): CheckpointManifest {
  need(bytes, source, 'its manifest', HEADER_BYTES, length);
  const where = `the manifest of ${source} (at byte ${HEADER_BYTES})`;
  const checked = parseJsonDocument(
    bytes.subarray(HEADER_BYTES, HEADER_BYTES + length),
    where,
    checkpointManifestSchema,
    (message) => new CheckpointImageError(message),
  );
  const problems = consistencyProblems(checked, frameCount);
  if (problems.length > 0)
    throw new CheckpointImageError(`${where} is not a valid manifest: ${describeIssues(problems)}`);
  return checked;
}

/**
 * Checks that the file is as long as its header and manifest say, and returns where its trailer
 * starts. Where the frames' records divide evenly into frames of another size, that is what went
 * wrong (the manifest's pageSize), rather than some truncation.
 */
function checkLength(
  bytes: Uint8Array,
  source: string,
  framesStart: number,
  frameCount: number,
  pageSize: number,
): number {
  const record = FRAME_CRC_BYTES + pageSize;
  const trailerStart = framesStart + frameCount * record;
  const end = trailerStart + TRAILER_BYTES;
  if (bytes.length === end) return trailerStart;
  const each = (bytes.length - TRAILER_BYTES - framesStart) / frameCount - FRAME_CRC_BYTES;
  if (
    frameCount > 0 &&
    Number.isInteger(Math.log2(each)) &&
    each >= MIN_PAGE_SIZE &&
    each <= MAX_PAGE_SIZE
  )
    throw new CheckpointImageError(
      `${source} holds ${frameCount} frames of ${each} bytes each, but its manifest's pageSize is ${pageSize} (frames start at byte ${framesStart})`,
    );
  if (bytes.length > end)
    throw new CheckpointImageError(
      `${source} has ${bytes.length - end} bytes after its trailer (at byte ${end}): the file should end there`,
    );
  const cut = Math.floor((bytes.length - framesStart) / record);
  if (cut < frameCount) need(bytes, source, `frame ${cut}`, framesStart + cut * record, record);
  need(bytes, source, 'its trailer', trailerStart, TRAILER_BYTES);
  return trailerStart;
}
