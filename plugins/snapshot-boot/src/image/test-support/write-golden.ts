/*
 * Writes fixtures/golden-v1.snap, the golden file of image format 1:
 *
 *   node -r ./register-src.js plugins/snapshot-boot/src/image/test-support/write-golden.ts
 *
 * Run once, when format 1 was made. Never rerun it to make the golden test pass: a change to the
 * bytes is a new format (a new version in the header, a golden-v2.snap), and old files must still
 * read.
 */
import { writeImageFile } from '../image-file';
import { GOLDEN_FILE, goldenImage } from './golden-image';

writeImageFile(GOLDEN_FILE, goldenImage());
