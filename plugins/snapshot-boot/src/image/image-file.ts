// The one place this plugin touches real files: users export an image from a run and import it
// into another, outside the simulation; the simulation itself keeps images in simulated storage.
// eslint-disable-next-line no-restricted-syntax -- the boundary with real files, not simulation code
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { decodeImage } from './decode-image';
import { encodeImage } from './encode-image';
import { ImageError } from './image-error';
import type { SnapshotImage } from './manifest';

/** How {@link writeImageFile} may write. */
export interface WriteImageOptions {
  /** Replace an existing file (once the new one is complete). */
  readonly force?: boolean;
}

/**
 * Writes `image` to `path`. The bytes go to `path + '.partial'` first and take their name only
 * when complete and flushed, so a failed or interrupted write leaves any old file whole and never
 * a half-written image under the real name. An existing file is refused unless `force`; an image
 * that cannot be encoded is refused before any file is touched.
 */
export function writeImageFile(
  path: string,
  image: SnapshotImage,
  options: WriteImageOptions = {},
): void {
  const existing = statOf(path);
  if (existing?.isDirectory()) throw new ImageError(`cannot write ${path}: it is a directory`);
  if (existing && !options.force)
    throw new ImageError(`${path} already exists; pass force to replace it`);
  const bytes = encodeImage(image);
  const partial = `${path}.partial`;
  let opened = false;
  try {
    const fd = openSync(partial, 'w');
    opened = true;
    try {
      for (let done = 0; done < bytes.length;)
        done += writeSync(fd, bytes, done, bytes.length - done);
      // Flushed before the rename, so a crash cannot leave the new name on bytes never written.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, path);
  } catch (error) {
    // Only a partial this call made: the name may be a directory or file of someone else's.
    if (opened) rmSync(partial, { force: true });
    throw new ImageError(`cannot write ${path}: ${reason(error)}`, { cause: error });
  }
}

/** Reads and checks the image in the file at `path` (see `decodeImage`); messages name `path`. */
export function readImageFile(path: string): SnapshotImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ImageError(`cannot read ${path}: ${reason(error)}`, { cause: error });
  }
  return decodeImage(bytes, path);
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Why a file operation failed, in words rather than an errno's code where it is a common one. */
function reason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
