import * as path from 'node:path';
import type { SnapshotImage } from '../manifest';

/** The checked-in encoding of {@link goldenImage}: format 1's bytes, fixed for good. */
export const GOLDEN_FILE = path.join(__dirname, '../../../fixtures/golden-v1.snap');

/** `pageSize` bytes, each a simple function of the page's number and the byte's offset. */
export function patternPage(page: number, pageSize: number): Uint8Array {
  return Uint8Array.from({ length: pageSize }, (_, i) => (page * 31 + i * 7) & 0xff);
}

/**
 * A small image with every part of the format: two pages of 512 bytes, two memory runs, a guest
 * with a mapping, vCPU state and an identity. Never change it: the golden file is its encoding.
 */
export function goldenImage(): SnapshotImage {
  return {
    manifest: {
      format: 1,
      name: 'golden',
      pageSize: 512,
      memory: [
        { gpa: 0, pages: 4, perms: 'rwx' },
        { gpa: 0x2000, pages: 1, perms: 'r--' },
      ],
      guests: [{ mappings: [{ va: 0x400000, gpa: 0, pages: 2, perms: 'r-x' }] }],
      vcpu: { pc: 0x400000, regs: [1, 2, 3], halted: false },
      identity: { gpa: 0x200, length: 16 },
    },
    pages: [
      { gpa: 0x200, data: patternPage(1, 512) },
      { gpa: 0x2000, data: patternPage(2, 512) },
    ],
  };
}
