/*
 * The snapshot image file format, version 1 (after Firecracker's snapshot files, US9384007B2).
 * FORMAT.md says the same at more length; a change here is a new format version, and the golden
 * file test (fixtures/golden-v1.snap) fails until it is one.
 *
 * Little-endian throughout:
 *
 *   offset              size            what
 *   0                   8               magic "CVSNAP\0\0"
 *   8                   4               format u32 (= 1)
 *   12                  4               manifest length M u32
 *   16                  4               page count N u32
 *   20                  M               manifest: UTF-8 JSON, canonical (keys sorted, no spaces)
 *   20+M                12·N            index: N × (gpa u64 · CRC-32 u32 of the page's bytes),
 *                                       ascending gpa, no duplicates
 *   20+M+12N            N·pageSize      pages, in index order
 *   20+M+12N+N·pageSize 32              trailer: SHA-256 of every byte before it
 *
 * The manifest is canonical so that equal images give equal bytes (and equal trailers). Each page
 * has its own CRC so that a damaged page is named, rather than the whole file refused for a
 * trailer mismatch; the trailer then covers what no CRC does: header, manifest and index.
 */
import { canonicalJson, describeIssues } from '@chronovisor/core';
import { ImageError } from './image-error';
import {
  FORMAT_AT,
  HEADER_BYTES,
  INDEX_ENTRY_BYTES,
  MAGIC,
  MANIFEST_LENGTH_AT,
  PAGE_COUNT_AT,
  TRAILER_BYTES,
  U32_MAX,
  pageChecksum,
  trailerOf,
} from './layout';
import { IMAGE_FORMAT, snapshotImageSchema, type SnapshotImage } from './manifest';

/**
 * The bytes of an image file holding `image`. The image is checked first, as reading checks it,
 * so that every file written can be read back: an ImageError names the field or the page at fault.
 */
export function encodeImage(image: SnapshotImage): Uint8Array {
  let checked: ReturnType<typeof snapshotImageSchema.safeParse>;
  try {
    checked = snapshotImageSchema.safeParse(image);
  } catch (error) {
    // vCPU state nested deeper than the checks can recurse.
    throw new ImageError(`${nameOf(image)} cannot be checked: ${(error as Error).message}`);
  }
  if (!checked.success)
    throw new ImageError(
      `${nameOf(image)} cannot be encoded: ${describeIssues(checked.error.issues)}`,
    );
  const { manifest, pages } = checked.data;
  const manifestBytes = new TextEncoder().encode(canonicalJson(manifest));
  if (manifestBytes.length > U32_MAX || pages.length > U32_MAX)
    throw new ImageError(
      `${nameOf(image)} cannot be encoded: its manifest (${manifestBytes.length} bytes) or its page count (${pages.length}) does not fit the header's 32 bits`,
    );

  const indexStart = HEADER_BYTES + manifestBytes.length;
  const pagesStart = indexStart + pages.length * INDEX_ENTRY_BYTES;
  const trailerStart = pagesStart + pages.length * manifest.pageSize;
  const out = new Uint8Array(trailerStart + TRAILER_BYTES);
  const view = new DataView(out.buffer);

  out.set(MAGIC, 0);
  view.setUint32(FORMAT_AT, IMAGE_FORMAT, true);
  view.setUint32(MANIFEST_LENGTH_AT, manifestBytes.length, true);
  view.setUint32(PAGE_COUNT_AT, pages.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  pages.forEach((page, i) => {
    const entry = indexStart + i * INDEX_ENTRY_BYTES;
    view.setBigUint64(entry, BigInt(page.gpa), true);
    view.setUint32(entry + 8, pageChecksum(page.data), true);
    out.set(page.data, pagesStart + i * manifest.pageSize);
  });
  out.set(trailerOf(out.subarray(0, trailerStart)), trailerStart);
  return out;
}

/** `image "vm-1"`, or `the image` where it has no usable name. */
function nameOf(image: SnapshotImage): string {
  const name: unknown = (image as { manifest?: { name?: unknown } } | undefined)?.manifest?.name;
  return typeof name === 'string' ? `image ${JSON.stringify(name)}` : 'the image';
}
