import { parseJsonDocument } from '@chronovisor/core';
import { ImageError } from './image-error';
import {
  FORMAT_AT,
  HEADER_BYTES,
  INDEX_ENTRY_BYTES,
  MAGIC,
  MANIFEST_LENGTH_AT,
  PAGE_COUNT_AT,
  TRAILER_BYTES,
  hex,
  pageChecksum,
  trailerOf,
} from './layout';
import {
  IMAGE_FORMAT,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  imageManifestSchema,
  type ImageManifest,
  type ImagePage,
  type SnapshotImage,
} from './manifest';
import { MemoryMap, placementProblem } from './memory-map';

/** Where the index's gpas must end: past this, no memory run can hold them. */
const GPA_LIMIT = 2n ** 52n;

/** One entry of the page index. */
interface IndexEntry {
  readonly gpa: number;
  readonly crc: number;
}

/**
 * Reads an image file's bytes (see encode-image.ts for the layout), checking everything: the
 * header, the manifest against its schema, the index's order and placement, every page's CRC,
 * then the trailer. The pages' CRCs come before the trailer so that a damaged page is named
 * rather than reported as a mismatch of the whole file. `source` names the file in messages.
 * Throws an {@link ImageError} saying what is wrong and where.
 */
export function decodeImage(bytes: Uint8Array, source: string): SnapshotImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { manifestLength, pageCount } = readHeader(bytes, view, source);
  const manifest = readManifest(bytes, source, manifestLength);
  const indexStart = HEADER_BYTES + manifestLength;
  const index = readIndex(bytes, view, source, indexStart, pageCount, manifest);
  const pagesStart = indexStart + pageCount * INDEX_ENTRY_BYTES;
  const trailerStart = checkLength(bytes, source, pagesStart, index, manifest.pageSize);

  const { pageSize } = manifest;
  const dataOf = (i: number) =>
    bytes.subarray(pagesStart + i * pageSize, pagesStart + (i + 1) * pageSize);
  const damaged = index.flatMap((entry, i) => (pageChecksum(dataOf(i)) === entry.crc ? [] : [i]));
  if (damaged.length > 0) {
    const [first] = damaged as [number];
    const others = damaged.length - 1;
    throw new ImageError(
      `${pageName(first, index[first]!.gpa)} of ${source} fails its checksum: its bytes were altered (its data starts at byte ${pagesStart + first * pageSize}${others > 0 ? `; ${others} more ${others === 1 ? 'page fails' : 'pages fail'} too` : ''})`,
    );
  }

  const trailer = bytes.subarray(trailerStart);
  if (!Buffer.from(trailerOf(bytes.subarray(0, trailerStart))).equals(trailer))
    throw new ImageError(
      `${source} fails its SHA-256 trailer check though every page passes its checksum: its header, manifest or page index was altered (or the trailer itself, at byte ${trailerStart})`,
    );

  // Copies, so that the image neither pins the file's buffer nor changes with it.
  const pages = index.map((entry, i): ImagePage => ({
    gpa: entry.gpa,
    data: new Uint8Array(dataOf(i)),
  }));
  return { manifest, pages };
}

function readHeader(
  bytes: Uint8Array,
  view: DataView,
  source: string,
): { manifestLength: number; pageCount: number } {
  const start = bytes.subarray(0, MAGIC.length);
  if (!start.every((byte, i) => byte === MAGIC[i]))
    throw new ImageError(
      `${source} is not a Chronovisor snapshot image: it starts with ${hexBytes(start)}, not the magic "CVSNAP\\0\\0"`,
    );
  need(bytes, source, 'its header', 0, HEADER_BYTES);
  const format = view.getUint32(FORMAT_AT, true);
  if (format > IMAGE_FORMAT)
    throw new ImageError(
      `${source} is in image format ${format}, written by a newer Chronovisor: this one reads format ${IMAGE_FORMAT} only`,
    );
  if (format !== IMAGE_FORMAT)
    throw new ImageError(
      `${source} has an unknown image format ${format} (at byte ${FORMAT_AT}): this Chronovisor reads format ${IMAGE_FORMAT} only`,
    );
  return {
    manifestLength: view.getUint32(MANIFEST_LENGTH_AT, true),
    pageCount: view.getUint32(PAGE_COUNT_AT, true),
  };
}

function readManifest(bytes: Uint8Array, source: string, length: number): ImageManifest {
  need(bytes, source, 'its manifest', HEADER_BYTES, length);
  return parseJsonDocument(
    bytes.subarray(HEADER_BYTES, HEADER_BYTES + length),
    `the manifest of ${source} (at byte ${HEADER_BYTES})`,
    imageManifestSchema,
    (message) => new ImageError(message),
  );
}

function readIndex(
  bytes: Uint8Array,
  view: DataView,
  source: string,
  start: number,
  count: number,
  manifest: ImageManifest,
): IndexEntry[] {
  need(bytes, source, 'its page index', start, count * INDEX_ENTRY_BYTES, `${count} entries`);
  const memory = new MemoryMap(manifest.memory, manifest.pageSize);
  const index: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + i * INDEX_ENTRY_BYTES;
    const wide = view.getBigUint64(at, true);
    const gpa = Number(wide);
    const problem =
      wide > GPA_LIMIT
        ? 'lies outside every memory run of the manifest'
        : placementProblem(gpa, index[i - 1]?.gpa, manifest.pageSize, memory);
    if (problem)
      throw new ImageError(
        `${pageName(i, wide)} of ${source} ${problem} (index entry at byte ${at})`,
      );
    index.push({ gpa, crc: view.getUint32(at + 8, true) });
  }
  return index;
}

/**
 * Checks that the file is as long as its header, manifest and index say, and returns where its
 * trailer starts. Where the pages' bytes divide evenly into pages of another size, that is what
 * went wrong (the manifest's pageSize), rather than some truncation.
 */
function checkLength(
  bytes: Uint8Array,
  source: string,
  pagesStart: number,
  index: readonly IndexEntry[],
  pageSize: number,
): number {
  const trailerStart = pagesStart + index.length * pageSize;
  const end = trailerStart + TRAILER_BYTES;
  if (bytes.length === end) return trailerStart;
  const pageBytes = bytes.length - TRAILER_BYTES - pagesStart;
  const each = pageBytes / index.length;
  if (
    index.length > 0 &&
    Number.isInteger(Math.log2(each)) &&
    each >= MIN_PAGE_SIZE &&
    each <= MAX_PAGE_SIZE
  )
    throw new ImageError(
      `${source} holds ${index.length} pages of ${each} bytes each, but its manifest's pageSize is ${pageSize} (pages start at byte ${pagesStart})`,
    );
  if (bytes.length > end)
    throw new ImageError(
      `${source} has ${bytes.length - end} bytes after its trailer (at byte ${end}): the file should end there`,
    );
  const cut = Math.floor((bytes.length - pagesStart) / pageSize);
  if (cut < index.length)
    need(
      bytes,
      source,
      `page ${cut}'s data`,
      pagesStart + cut * pageSize,
      pageSize,
      `gpa ${hex(index[cut]!.gpa)}`,
    );
  need(bytes, source, 'its trailer', trailerStart, TRAILER_BYTES);
  return trailerStart;
}

/**
 * Refuses a file too short to hold `length` bytes of `part` at `offset`; `about` says more of the
 * part (which page, how many entries), before its offset.
 */
function need(
  bytes: Uint8Array,
  source: string,
  part: string,
  offset: number,
  length: number,
  about?: string,
): void {
  const found = Math.max(0, bytes.length - offset);
  if (found < length)
    throw new ImageError(
      `${source} is truncated in ${part} (${about ? `${about}, ` : ''}at byte ${offset}): expected ${length} bytes, found ${found}`,
    );
}

/** `page 3 (gpa 0x3000)`: a page as messages name it, by its place in the index and its gpa. */
function pageName(i: number, gpa: number | bigint): string {
  return `page ${i} (gpa ${hex(gpa)})`;
}

function hexBytes(bytes: Uint8Array): string {
  return bytes.length === 0
    ? 'nothing'
    : `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
