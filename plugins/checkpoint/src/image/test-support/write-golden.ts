/*
 * Writes fixtures/golden-v1.ckpt and fixtures/golden-v1.sealed, the golden files of checkpoint
 * format 1 and sealed format 1:
 *
 *   node -r ./register-src.js plugins/checkpoint/src/image/test-support/write-golden.ts
 *
 * Run once, when format 1 was made. Never rerun it to make the golden tests pass: a change to the
 * bytes is a new format (a new version in the header, a golden-v2 file), and old files must still
 * read. (Without force, it refuses to replace the files anyway.)
 */
import { writeCheckpointFile } from '../checkpoint-file';
import { encodeCheckpoint } from '../encode-checkpoint';
import { sealCheckpoint } from '../seal';
import {
  GOLDEN_FILE,
  GOLDEN_NONCE,
  GOLDEN_SEALED_FILE,
  goldenImage,
  goldenKeyring,
} from './golden-image';

writeCheckpointFile(GOLDEN_FILE, encodeCheckpoint(goldenImage()));
writeCheckpointFile(
  GOLDEN_SEALED_FILE,
  sealCheckpoint(goldenImage(), goldenKeyring(), GOLDEN_NONCE),
);
