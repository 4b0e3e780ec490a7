/*
 * Writes fixtures/golden-v1.cvupdt, the golden file of update package format 1:
 *
 *   node -r ./register-src.js plugins/vmm-update/src/package/test-support/write-golden.ts
 *
 * Run once, when format 1 was made; it refuses to replace the file. Never remove the file to
 * make the golden test pass: a change to the bytes is a new format (a new version in the header,
 * a golden-v2.cvupdt), and old files must still read.
 */
// eslint-disable-next-line no-restricted-syntax -- a tool writing a fixture, not simulation code
import { writeFileSync } from 'node:fs';
import { encodePackage } from '../package-file';
import { signPackage } from '../sign-package';
import {
  GOLDEN_FILE,
  GOLDEN_KEY_ID,
  goldenManifest,
  goldenPayload,
  goldenPrivateKey,
} from './golden-package';

const bytes = encodePackage(
  signPackage(goldenManifest(), goldenPayload(), GOLDEN_KEY_ID, goldenPrivateKey()),
);
try {
  // 'wx': fails if the file exists, rather than replacing it.
  writeFileSync(GOLDEN_FILE, bytes, { flag: 'wx' });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  process.stderr.write(
    `${GOLDEN_FILE} already exists: the golden file is never regenerated (a change to its bytes is a new format version)\n`,
  );
  process.exitCode = 1;
}
if (process.exitCode !== 1) process.stdout.write(`wrote ${GOLDEN_FILE} (${bytes.length} bytes)\n`);
