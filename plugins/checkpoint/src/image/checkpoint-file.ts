// The one place this plugin touches real files: users export a checkpoint from a run and import
// it into another, outside the simulation; the simulation itself keeps checkpoints as data.
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
import type { CheckpointImage } from './checkpoint-image';
import { decodeCheckpoint } from './decode-checkpoint';
import { CheckpointImageError } from './image-error';
import type { Keyring } from './keyring';
import { MAGIC, hexBytes, startsWith } from './layout';
import { isSealed, readSealed, unsealCheckpoint } from './seal';

/** How {@link writeCheckpointFile} may write. */
export interface WriteCheckpointOptions {
  /** Replace an existing file (once the new one is complete). */
  readonly force?: boolean;
}

/** How {@link readCheckpointFile} may read. */
export interface ReadCheckpointOptions {
  /**
   * Refuse a plain file: where a checkpoint was handed out sealed, a plain one in its place was
   * put there by its holder.
   */
  readonly sealed?: boolean;
}

/**
 * Writes the bytes of a checkpoint, plain (`encodeCheckpoint`) or sealed (`sealCheckpoint`), to
 * `path`. The bytes go to `path + '.partial'` first and take their name only when complete and
 * flushed, so a failed or interrupted write leaves any old file whole and never a half-written
 * checkpoint under the real name. An existing file is refused unless `force`; bytes that are not
 * a checkpoint (by their magic) are refused before any file is touched.
 */
export function writeCheckpointFile(
  path: string,
  bytes: Uint8Array,
  options: WriteCheckpointOptions = {},
): void {
  if (!startsWith(bytes, MAGIC) && !isSealed(bytes))
    throw new CheckpointImageError(
      `cannot write ${path}: the bytes given start with ${hexBytes(bytes.subarray(0, 8))}, which is neither a checkpoint image nor a sealed one`,
    );
  const existing = statOf(path);
  if (existing?.isDirectory())
    throw new CheckpointImageError(`cannot write ${path}: it is a directory`);
  if (existing && !options.force)
    throw new CheckpointImageError(`${path} already exists; pass force to replace it`);
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
    throw new CheckpointImageError(`cannot write ${path}: ${reason(error)}`, { cause: error });
  }
}

/**
 * Reads and checks the checkpoint in the file at `path`, plain or sealed (told apart by their
 * magic; see `decodeCheckpoint` and `unsealCheckpoint`). A sealed one needs `keyring`, its owner's.
 * Messages name `path`.
 */
export function readCheckpointFile(
  path: string,
  keyring?: Keyring,
  options: ReadCheckpointOptions = {},
): CheckpointImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CheckpointImageError(`cannot read ${path}: ${reason(error)}`, { cause: error });
  }
  if (isSealed(bytes)) {
    if (!keyring) {
      const { keyId } = readSealed(bytes, path);
      throw new CheckpointImageError(
        `${path} is a sealed checkpoint (under key ${JSON.stringify(keyId)}): reading it needs its owner's keyring`,
      );
    }
    return unsealCheckpoint(bytes, keyring, path);
  }
  if (options.sealed && startsWith(bytes, MAGIC))
    throw new CheckpointImageError(
      `${path} is a plain checkpoint where a sealed one is required: its holder could have written it`,
    );
  return decodeCheckpoint(bytes, path);
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
