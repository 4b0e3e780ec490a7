import * as path from 'node:path';
import type { CheckpointImage } from '../checkpoint-image';
import { Keyring } from '../keyring';

/** The checked-in encoding of {@link goldenImage}: format 1's bytes, fixed for good. */
export const GOLDEN_FILE = path.join(__dirname, '../../../fixtures/golden-v1.ckpt');
/** The checked-in encoding of {@link goldenImageV2}: format 2's bytes, fixed for good. */
export const GOLDEN_V2_FILE = path.join(__dirname, '../../../fixtures/golden-v2.ckpt');
/** {@link goldenImage} sealed under {@link goldenKeyring}'s key with {@link GOLDEN_NONCE}. */
export const GOLDEN_SEALED_FILE = path.join(__dirname, '../../../fixtures/golden-v1.sealed');

/** The nonce the golden sealed file was sealed with. */
export const GOLDEN_NONCE: Uint8Array = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

/** A keyring whose current key, "golden-key", is the bytes 0..31. */
export function goldenKeyring(): Keyring {
  return new Keyring(
    [{ id: 'golden-key', key: Uint8Array.from({ length: 32 }, (_, i) => i) }],
    'golden-key',
  );
}

/** `pageSize` bytes, each a simple function of the frame's number and the byte's offset. */
export function patternPage(frame: number, pageSize: number): Uint8Array {
  return Uint8Array.from({ length: pageSize }, (_, i) => (frame * 31 + i * 7 + 1) & 0xff);
}

/**
 * A small tree with every part of the format: a root with a forked child sharing its text page
 * (one frame for both) and a zombie whose process group leader is not in the image; a file, a
 * pipe holding bytes between the two, a shared memory segment both attach; three frames of 512
 * bytes. Never change it: the golden files are its encodings.
 */
export function goldenImage(): CheckpointImage {
  const text = { va: 0x400000, pages: 2, perms: 'r-x', frames: [0, -1] };
  const segment = { resource: 3, va: 0x700000 };
  return {
    format: 1,
    name: 'golden',
    pageSize: 512,
    domain: 'pidns-1',
    root: 1,
    processes: [
      {
        pid: 1,
        ppid: 0,
        pgid: 1,
        sid: 1,
        state: 'running',
        memory: [text, { va: 0x600000, pages: 1, perms: 'rw-', frames: [1] }],
        fds: [
          { fd: 0, resource: 1 },
          { fd: 1, resource: 2 },
        ],
        shm: [segment],
      },
      {
        pid: 2,
        ppid: 1,
        pgid: 1,
        sid: 1,
        state: 'running',
        memory: [text],
        fds: [{ fd: 0, resource: 2 }],
        shm: [segment],
      },
      { pid: 3, ppid: 1, pgid: 9, sid: 1, state: 'zombie', exitCode: 7, memory: [], fds: [] },
    ],
    resources: [
      { id: 1, kind: 'file', path: '/var/log/app.log', offset: 1234, flags: 'O_WRONLY|O_APPEND' },
      { id: 2, kind: 'pipe', buffered: new TextEncoder().encode('hello\n') },
      { id: 3, kind: 'shm', key: '/cv-shm', frames: [2] },
    ],
    frames: [patternPage(0, 512), patternPage(1, 512), patternPage(2, 512)],
  };
}

/**
 * {@link goldenImage} in format 2: its root carries two plugins' state of its space (plain JSON,
 * as a heap's and a handle table's would be). Never change it: golden-v2.ckpt is its encoding.
 */
export function goldenImageV2(): CheckpointImage {
  const image = goldenImage();
  return {
    ...image,
    format: 2,
    processes: image.processes.map((p) =>
      p.pid === 1
        ? {
            ...p,
            spaceState: {
              heap: { base: 0x1000, brk: 0x3000, blocks: [[0x1010, 48]], policy: 'best-fit' },
              handles: {
                entries: [{ index: 4, object: 1 }],
                levels: 1,
                wrapped: false,
                next: null,
              },
            },
          }
        : p,
    ),
  };
}
