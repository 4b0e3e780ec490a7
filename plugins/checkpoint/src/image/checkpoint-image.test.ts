import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { manifestOf } from './checkpoint-image';
import {
  CheckpointImageError,
  Keyring,
  checkpointImageSchema,
  decodeCheckpoint,
  encodeCheckpoint,
  frameChecksum,
  readCheckpointFile,
  sealCheckpoint,
  writeCheckpointFile,
  type CheckpointImage,
  type CheckpointProcess,
  type CheckpointResource,
} from './index';
import { checkpointImageArb } from './test-support/arbitraries';
import { assemble, retrail } from './test-support/assemble';
import {
  GOLDEN_FILE,
  GOLDEN_V2_FILE,
  goldenImage,
  goldenImageV2,
  patternPage,
} from './test-support/golden-image';

const PAGE = 4096;

/** The CheckpointImageError `run` throws (failing the test if it throws anything else, or nothing). */
function errorOf(run: () => unknown): CheckpointImageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointImageError);
    return error as CheckpointImageError;
  }
  throw new Error('expected a CheckpointImageError, but nothing was thrown');
}

const messageOf = (run: () => unknown): string => errorOf(run).message;

/**
 * Two processes of 4 KiB pages sharing frame 0 (a page copy-on-write after fork), a pipe between
 * them with bytes in it, a file, a segment the child attaches: what the error cases damage.
 */
function base(): CheckpointImage {
  return {
    format: 1,
    name: 'base',
    pageSize: PAGE,
    domain: 'ns',
    root: 1,
    processes: [
      {
        pid: 1,
        ppid: 0,
        pgid: 1,
        sid: 1,
        state: 'running',
        memory: [{ va: 0x1000, pages: 3, perms: 'rw-', frames: [0, 1, -1] }],
        fds: [{ fd: 0, resource: 1 }],
      },
      {
        pid: 2,
        ppid: 1,
        pgid: 1,
        sid: 1,
        state: 'running',
        memory: [
          { va: 0x1000, pages: 2, perms: 'rw-', frames: [0, 2] },
          { va: 0x10000, pages: 1, perms: 'r--', frames: [3] },
        ],
        fds: [
          { fd: 0, resource: 1 },
          { fd: 1, resource: 2 },
        ],
        shm: [{ resource: 3, va: 0x20000 }],
      },
    ],
    resources: [
      { id: 1, kind: 'pipe', buffered: Uint8Array.of(1, 2, 3) },
      { id: 2, kind: 'file', path: '/etc/motd', offset: 10, flags: 'O_RDONLY' },
      { id: 3, kind: 'shm', key: '/seg', frames: [3, -1] },
    ],
    frames: [0, 1, 2, 3].map((i) => patternPage(i, PAGE)),
  };
}

/** `image` with a process changed. */
function withProcess(
  image: CheckpointImage,
  i: number,
  change: Partial<CheckpointProcess> & Record<string, unknown>,
): CheckpointImage {
  const processes = [...image.processes];
  processes[i] = { ...processes[i]!, ...change };
  return { ...image, processes };
}

/** Where the parts of an encoded image start, read from its header as FORMAT.md lays it out. */
function layoutOf(bytes: Uint8Array, pageSize: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const manifestLength = view.getUint32(12, true);
  const frameCount = view.getUint32(16, true);
  const framesStart = 20 + manifestLength;
  const record = 4 + pageSize;
  const trailerStart = framesStart + frameCount * record;
  return { manifestLength, frameCount, framesStart, record, trailerStart };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * An image as comparable data: bytes as base64, which jest compares at once where it walks a
 * typed array element by element (seconds for a 2 MiB frame).
 */
function comparable(image: CheckpointImage) {
  return {
    ...image,
    resources: image.resources.map((r) =>
      r.kind === 'pipe' ? { ...r, buffered: base64(r.buffered) } : r,
    ),
    frames: image.frames.map(base64),
  };
}

function roundTrips(original: CheckpointImage): void {
  const bytes = encodeCheckpoint(original);
  const decoded = decodeCheckpoint(bytes, 'round.ckpt');
  expect(comparable(decoded)).toEqual(comparable(original));
  for (const frame of decoded.frames) expect(frame.constructor).toBe(Uint8Array);
  for (const r of decoded.resources)
    if (r.kind === 'pipe') expect(r.buffered.constructor).toBe(Uint8Array);
  expect(Buffer.from(encodeCheckpoint(decoded)).equals(bytes)).toBe(true);
}

describe('the checkpoint image format', () => {
  describe('round trip', () => {
    it('gives back the same image and the same bytes: one process', () => {
      roundTrips({
        format: 1,
        name: 'one',
        pageSize: PAGE,
        domain: 'ns',
        root: 7,
        processes: [
          {
            pid: 7,
            ppid: 0,
            pgid: 7,
            sid: 7,
            state: 'running',
            memory: [{ va: 0x400000, pages: 2, perms: 'r-x', frames: [0, -1] }],
            fds: [],
          },
        ],
        resources: [],
        frames: [patternPage(0, PAGE)],
      });
      // Nothing in it but the process: no memory, no frames.
      roundTrips({
        ...goldenImage(),
        processes: [{ pid: 1, ppid: 0, pgid: 1, sid: 1, state: 'running', memory: [], fds: [] }],
        resources: [],
        frames: [],
      });
    });

    it('gives back a tree with zombies, a pipe holding bytes, shared memory and files', () => {
      roundTrips(goldenImage());
      roundTrips({
        ...goldenImage(),
        name: 'tree',
        processes: [
          ...goldenImage().processes,
          // A zombie without its exit code, in a session whose leader is not in the image.
          { pid: 4, ppid: 2, pgid: 4, sid: 40, state: 'zombie', memory: [], fds: [] },
          // Orphaned: its parent is outside the tree.
          {
            pid: 9,
            ppid: 0,
            pgid: 1,
            sid: 1,
            state: 'running',
            memory: [],
            fds: [{ fd: 5, resource: 4 }],
          },
        ],
        resources: [
          ...goldenImage().resources,
          { id: 4, kind: 'pipe', buffered: new Uint8Array(0) },
          { id: 8, kind: 'file', path: 'relative/é', offset: 2 ** 40, flags: '' },
        ],
      });
    });

    it('gives back frames shared by two processes, each stored once', () => {
      const image = base();
      roundTrips(image);
      const bytes = encodeCheckpoint(image);
      expect(layoutOf(bytes, PAGE).frameCount).toBe(4);
      const decoded = decodeCheckpoint(bytes, 'shared.ckpt');
      expect(decoded.processes[0]!.memory[0]!.frames[0]).toBe(0);
      expect(decoded.processes[1]!.memory[0]!.frames[0]).toBe(0);
      // The largest page size.
      roundTrips({
        ...image,
        pageSize: 2 ** 21,
        frames: [new Uint8Array(2 ** 21).fill(7)],
        processes: [
          { ...image.processes[0]!, memory: [{ va: 0, pages: 1, perms: 'rw-', frames: [0] }] },
        ],
        resources: [image.resources[0]!],
      });
    });

    it('writes equal images as equal bytes, however their keys were ordered', () => {
      const a = base();
      const b = {
        frames: a.frames,
        resources: a.resources.map((r) => Object.fromEntries(Object.entries(r).reverse())),
        processes: a.processes.map((p) => Object.fromEntries(Object.entries(p).reverse())),
        root: 1,
        domain: 'ns',
        pageSize: PAGE,
        name: 'base',
        format: 1,
      } as unknown as CheckpointImage;
      expect(encodeCheckpoint(b)).toEqual(encodeCheckpoint(a));
    });

    it('reads a view into a larger buffer, and gives bytes of its own', () => {
      const bytes = encodeCheckpoint(base());
      const larger = new Uint8Array(bytes.length + 7);
      larger.set(bytes, 3);
      const decoded = decodeCheckpoint(larger.subarray(3, 3 + bytes.length), 'view.ckpt');
      expect(decoded).toEqual(base());
      larger.fill(0);
      expect(decoded).toEqual(base());
    });
  });

  describe('the golden file', () => {
    // If this fails, the format changed: files written before no longer read the same. Do not
    // regenerate the fixture to make it pass; make the change a new format version (the header's
    // u32, a new golden-v2.ckpt) and keep reading version 1.
    const golden = new Uint8Array(readFileSync(GOLDEN_FILE));

    it('is what the encoder writes today, byte for byte', () => {
      expect(golden.length).toBeLessThan(3072);
      expect(Buffer.from(encodeCheckpoint(goldenImage())).equals(golden)).toBe(true);
      expect(decodeCheckpoint(golden, 'golden-v1.ckpt')).toEqual(goldenImage());
    });

    it('is laid out as FORMAT.md says', () => {
      const view = new DataView(golden.buffer, golden.byteOffset, golden.byteLength);
      const { frames } = goldenImage();
      const at = layoutOf(golden, 512);
      expect(Buffer.from(golden.subarray(0, 8)).toString('latin1')).toBe('CVCKPT\0\0');
      expect(view.getUint32(8, true)).toBe(1);
      expect(at.frameCount).toBe(frames.length);
      const manifestText = Buffer.from(golden.subarray(20, at.framesStart)).toString('utf8');
      expect(manifestText).not.toMatch(/\s/);
      // The image without its frames (toEqual takes a property undefined as one not there).
      const rest = { ...goldenImage(), frames: undefined };
      expect(JSON.parse(manifestText)).toEqual({
        ...rest,
        resources: rest.resources.map((r) =>
          r.kind === 'pipe' ? { ...r, buffered: 'aGVsbG8K' } : r,
        ),
      });
      frames.forEach((frame, i) => {
        const record = at.framesStart + i * at.record;
        expect(view.getUint32(record, true)).toBe(crc32(frame));
        expect(golden.subarray(record + 4, record + at.record)).toEqual(frame);
      });
      const sha = createHash('sha256').update(golden.subarray(0, at.trailerStart)).digest();
      expect(Buffer.from(golden.subarray(at.trailerStart)).equals(sha)).toBe(true);
      expect(at.trailerStart + 32).toBe(golden.length);
    });

    it('in format 2 carries plugins’ state of a space, and format 1 still reads as it was', () => {
      const v2 = new Uint8Array(readFileSync(GOLDEN_V2_FILE));
      expect(Buffer.from(encodeCheckpoint(goldenImageV2())).equals(v2)).toBe(true);
      expect(decodeCheckpoint(v2, 'golden-v2.ckpt')).toEqual(goldenImageV2());
      expect(new DataView(v2.buffer, v2.byteOffset).getUint32(8, true)).toBe(2);
      const manifest = JSON.parse(
        Buffer.from(v2.subarray(20, layoutOf(v2, 512).framesStart)).toString('utf8'),
      ) as { processes: { spaceState?: unknown }[] };
      expect(manifest.processes[0]!.spaceState).toEqual(goldenImageV2().processes[0]!.spaceState);
      // A format-1 image read back writes format 1 again: the same bytes.
      const v1 = decodeCheckpoint(golden, 'golden-v1.ckpt');
      expect(v1.format).toBe(1);
      expect(Buffer.from(encodeCheckpoint(v1)).equals(golden)).toBe(true);
    });

    it('is refused wherever any one byte of it is changed', () => {
      for (const mask of [0x01, 0x80, 0xff]) {
        for (let at = 0; at < golden.length; at++) {
          const damaged = golden.slice();
          damaged[at]! ^= mask;
          expect(messageOf(() => decodeCheckpoint(damaged, 'golden-v1.ckpt'))).toContain(
            'golden-v1.ckpt',
          );
        }
      }
    });
  });

  describe('on random images', () => {
    it('round trips', () => {
      fc.assert(fc.property(checkpointImageArb, roundTrips), { numRuns: 200 });
    });

    it('are all valid by the schema the plugin checks its arguments with', () => {
      fc.assert(
        fc.property(checkpointImageArb, (image) => {
          expect(checkpointImageSchema.safeParse(image).success).toBe(true);
        }),
        { numRuns: 100 },
      );
    });

    it('detects any one byte changed, and names the frame it was in', () => {
      fc.assert(
        fc.property(
          checkpointImageArb,
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (original, n, mask) => {
            const bytes = encodeCheckpoint(original);
            const at = layoutOf(bytes, original.pageSize);
            const where = n % bytes.length;
            bytes[where]! ^= mask;
            const message = messageOf(() => decodeCheckpoint(bytes, 'flip.ckpt'));
            expect(message).toContain('flip.ckpt');
            if (where >= at.framesStart && where < at.trailerStart) {
              const i = Math.floor((where - at.framesStart) / at.record);
              expect(message).toBe(
                `frame ${i} of flip.ckpt fails its checksum: its bytes were altered (at byte ${at.framesStart + i * at.record})`,
              );
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('refuses a damaged file, saying what and where', () => {
    const bytes = encodeCheckpoint(base());
    const at = layoutOf(bytes, PAGE);
    const decode = (damaged: Uint8Array) => messageOf(() => decodeCheckpoint(damaged, 'a.ckpt'));
    const manifestWith = (change: Record<string, unknown>) => ({
      ...manifestOf(base()),
      ...change,
    });

    it('that is not a checkpoint, or a sealed one', () => {
      const elf = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, ...bytes.subarray(4));
      expect(decode(elf)).toBe(
        'a.ckpt is not a Chronovisor checkpoint image: it starts with 0x7f454c4650540000, not the magic "CVCKPT\\0\\0"',
      );
      expect(decode(assemble({ magic: 'CVCKPU\0\0', manifest: manifestWith({}) }))).toMatch(
        /^a\.ckpt is not a Chronovisor checkpoint image/,
      );
      const keyring = new Keyring([{ id: 'k', key: new Uint8Array(32) }], 'k');
      expect(decode(sealCheckpoint(base(), keyring, new Uint8Array(12)))).toBe(
        "a.ckpt is a sealed checkpoint, not a plain one: it opens only with its owner's keyring",
      );
    });

    it('written by a newer Chronovisor, or in no format known', () => {
      expect(decode(assemble({ format: 3, manifest: manifestWith({}) }))).toBe(
        'a.ckpt is in checkpoint format 3, written by a newer Chronovisor: this Chronovisor reads formats 1 and 2',
      );
      expect(decode(assemble({ format: 0, manifest: manifestWith({}) }))).toBe(
        'a.ckpt has an unknown checkpoint format 0 (at byte 8): this Chronovisor reads formats 1 and 2',
      );
      const header2 = Uint8Array.from(bytes);
      new DataView(header2.buffer).setUint32(8, 2, true);
      expect(decode(retrail(header2))).toBe(
        'a.ckpt says format 2 in its header (at byte 8) but 1 in its manifest',
      );
    });

    it('truncated, in whichever part it ends', () => {
      const cut = (length: number) => decode(bytes.subarray(0, length));
      expect(cut(0)).toBe(
        'a.ckpt is truncated in its header (at byte 0): expected 20 bytes, found 0',
      );
      expect(cut(13)).toBe(
        'a.ckpt is truncated in its header (at byte 0): expected 20 bytes, found 13',
      );
      expect(cut(25)).toBe(
        `a.ckpt is truncated in its manifest (at byte 20): expected ${at.manifestLength} bytes, found 5`,
      );
      expect(cut(at.framesStart + 2 * at.record + 100)).toBe(
        `a.ckpt is truncated in frame 2 (at byte ${at.framesStart + 2 * at.record}): expected ${at.record} bytes, found 100`,
      );
      expect(cut(at.framesStart)).toContain('truncated in frame 0 (at byte');
      expect(cut(bytes.length - 10)).toBe(
        `a.ckpt is truncated in its trailer (at byte ${at.trailerStart}): expected 32 bytes, found 22`,
      );
      for (let length = 0; length < bytes.length; length += 97)
        expect(cut(length)).toMatch(/^(a\.ckpt is truncated in |a\.ckpt holds )/);
    });

    it('with bytes after its trailer', () => {
      const longer = new Uint8Array(bytes.length + 5);
      longer.set(bytes);
      expect(decode(longer)).toBe(
        `a.ckpt has 5 bytes after its trailer (at byte ${bytes.length}): the file should end there`,
      );
    });

    it('whose frames are not of its pageSize', () => {
      const frames = [0, 1, 2, 3].map((i) => patternPage(i, 1024));
      expect(decode(assemble({ manifest: manifestWith({}), frames }))).toMatch(
        /^a\.ckpt holds 4 frames of 1024 bytes each, but its manifest's pageSize is 4096 \(frames start at byte \d+\)$/,
      );
    });

    it('whose manifest is not JSON, or not UTF-8', () => {
      expect(decode(assemble({ manifest: '{"format":1,' }))).toMatch(
        /^the manifest of a\.ckpt \(at byte 20\) is not JSON: /,
      );
      const notUtf8 = bytes.slice();
      notUtf8[Buffer.from(notUtf8).indexOf('"base"') + 1] = 0xff;
      expect(decode(retrail(notUtf8))).toBe(
        'the manifest of a.ckpt (at byte 20) is not UTF-8 text',
      );
    });

    it('whose manifest fails its schema, naming the field', () => {
      const prefix = 'the manifest of a.ckpt (at byte 20) is not a valid manifest: ';
      const processes = manifestOf(base()).processes;
      expect(
        decode(
          assemble({
            manifest: manifestWith({ processes: [{ ...processes[0], pgid: 0 }, processes[1]] }),
          }),
        ),
      ).toBe(`${prefix}processes[0].pgid: Too small: expected number to be >=1`);
      const cases: [Record<string, unknown>, string][] = [
        [{ pageSize: 3000 }, 'pageSize: must be a power of two'],
        [{ pageSize: 256 }, 'pageSize: Too small'],
        [{ name: '' }, 'name: Too small'],
        [{ domain: 'd'.repeat(65) }, 'domain: Too big'],
        [{ format: 3 }, 'format: Invalid input'],
        [
          { processes: [{ ...processes[0], spaceState: { heap: {} } }, processes[1]] },
          'processes[0].spaceState: format 1 holds no plugin state of a space: that came with format 2',
        ],
        [
          { processes: [{ ...processes[0], spaceState: { Heap: {} } }, processes[1]] },
          'processes[0].spaceState.Heap: Invalid key in record',
        ],
        [{ root: undefined }, 'root: Invalid input'],
        [{ colour: 'red' }, 'Unrecognized key: "colour"'],
        [{ frames: [] }, 'Unrecognized key: "frames"'],
        [
          { processes: [{ ...processes[0], state: 'stopped' }] },
          'processes[0].state: Invalid option',
        ],
        [
          {
            processes: [
              { ...processes[0], memory: [{ va: 0, pages: 1, perms: 'rwz', frames: [0] }] },
            ],
          },
          'processes[0].memory[0].perms: must be rwx letters',
        ],
        [
          {
            processes: [
              { ...processes[0], memory: [{ va: 0, pages: 1, perms: 'rw-', frames: [-2] }] },
            ],
          },
          'processes[0].memory[0].frames[0]: Too small: expected number to be >=-1',
        ],
        [
          { resources: [{ id: 1, kind: 'pipe', buffered: 'AQID?' }] },
          'resources[0].buffered: is not base64 as the encoder writes it',
        ],
        [
          { resources: [{ id: 1, kind: 'pipe', buffered: [1, 2, 3] }] },
          'resources[0].buffered: Invalid input: expected string',
        ],
        [{ resources: [{ id: 1, kind: 'socket' }] }, 'resources[0].kind: Invalid'],
      ];
      for (const [change, expected] of cases)
        expect(decode(assemble({ manifest: manifestWith(change) }))).toContain(
          `${prefix}${expected}`,
        );
    });

    it('with a frame whose bytes were altered, naming that frame', () => {
      const damaged = bytes.slice();
      damaged[at.framesStart + 3 * at.record + 77]! ^= 0x20;
      expect(decode(damaged)).toBe(
        `frame 3 of a.ckpt fails its checksum: its bytes were altered (at byte ${at.framesStart + 3 * at.record})`,
      );
      // Found by its CRC even where the trailer was made to match.
      expect(decode(retrail(damaged))).toContain('frame 3 of a.ckpt fails its checksum');
      // Its CRC altered, rather than its bytes: the same.
      const crc = bytes.slice();
      crc[at.framesStart + at.record]! ^= 0x01;
      expect(decode(crc)).toContain('frame 1 of a.ckpt fails its checksum');
      damaged[at.framesStart + 5]! ^= 0x01;
      expect(decode(damaged)).toBe(
        `frame 0 of a.ckpt fails its checksum: its bytes were altered (at byte ${at.framesStart}; 1 more frame fails too)`,
      );
    });

    it('whose header or manifest was altered where no frame checksum sees it', () => {
      const message =
        'a.ckpt fails its SHA-256 trailer check though every frame passes its checksum: its header or manifest was altered';
      const renamed = bytes.slice();
      renamed[Buffer.from(renamed).indexOf('"base"') + 1] = 'c'.charCodeAt(0);
      expect(decode(renamed)).toContain(message);
      // Two frames' records swapped: each CRC still matches its bytes.
      const swapped = bytes.slice();
      swapped.set(
        bytes.subarray(at.framesStart, at.framesStart + at.record),
        at.framesStart + at.record,
      );
      swapped.set(
        bytes.subarray(at.framesStart + at.record, at.framesStart + 2 * at.record),
        at.framesStart,
      );
      expect(decode(swapped)).toContain(message);
      const trailer = bytes.slice();
      trailer[bytes.length - 1]! ^= 1;
      expect(decode(trailer)).toBe(
        `${message} (or the trailer itself, at byte ${at.trailerStart})`,
      );
    });
  });

  describe('checks an image across its fields, naming the field', () => {
    /** Each bad image, and its issue as both the encoder and the decoder report it. */
    const cases: [string, CheckpointImage, string][] = [
      [
        'a frame index out of range',
        withProcess(base(), 1, {
          memory: [{ va: 0x1000, pages: 3, perms: 'rw-', frames: [0, -1, 9] }],
        }),
        'processes[1].memory[0].frames[2]: frame 9 is out of range: the image has 4 frames',
      ],
      [
        'a segment frame out of range',
        {
          ...base(),
          resources: [
            ...base().resources.slice(0, 2),
            { id: 3, kind: 'shm', key: '/seg', frames: [1, 4] },
          ],
        },
        'resources[2].frames[1]: frame 4 is out of range: the image has 4 frames',
      ],
      [
        'a run with as many frames as pages',
        withProcess(base(), 0, {
          memory: [{ va: 0x1000, pages: 3, perms: 'rw-', frames: [0, 1] }],
        }),
        'processes[0].memory[0].frames: lists 2 frames for 3 pages: one for each',
      ],
      [
        'a run not page-aligned',
        withProcess(base(), 0, { memory: [{ va: 0x1010, pages: 1, perms: 'rw-', frames: [0] }] }),
        'processes[0].memory[0].va: 0x1010 is not aligned to the pageSize 4096',
      ],
      [
        'runs that overlap',
        withProcess(base(), 1, {
          memory: [
            { va: 0x10000, pages: 1, perms: 'r--', frames: [3] },
            { va: 0x8000, pages: 9, perms: 'rw-', frames: [0, 1, 2, 3, -1, -1, -1, -1, -1] },
          ],
        }),
        'processes[1].memory[0]: overlaps memory[1] (which starts at 0x8000)',
      ],
      [
        'a run past the address space',
        withProcess(base(), 0, {
          memory: [{ va: 2 ** 52 - PAGE, pages: 2, perms: 'rw-', frames: [0, 1] }],
        }),
        'processes[0].memory[0].pages: the run at 0xffffffffff000 ends past the 2^52-byte address space',
      ],
      [
        'an fd twice',
        withProcess(base(), 1, {
          fds: [
            { fd: 4, resource: 1 },
            { fd: 4, resource: 2 },
          ],
        }),
        'processes[1].fds[1].fd: fd 4 duplicates fds[0]',
      ],
      [
        'an fd naming no resource',
        withProcess(base(), 0, { fds: [{ fd: 0, resource: 7 }] }),
        'processes[0].fds[0].resource: resource 7 is not a resource of the image',
      ],
      [
        'a parent not in the image',
        withProcess(base(), 1, { ppid: 5 }),
        'processes[1].ppid: pid 5 is not a process of the image (0 for a parent outside the tree)',
      ],
      [
        'parents in a cycle',
        withProcess(base(), 0, { ppid: 2 }),
        'processes[0].ppid: makes pid 1 its own ancestor (1 → 2 → 1): parents must form a tree',
      ],
      [
        'a process its own parent',
        withProcess(base(), 1, { ppid: 2 }),
        'processes[1].ppid: makes pid 2 its own ancestor (2 → 2): parents must form a tree',
      ],
      [
        'a root not in the image',
        { ...base(), root: 9 },
        'root: pid 9 is not a process of the image',
      ],
      [
        'an exit code on a running process',
        withProcess(base(), 0, { exitCode: 0 }),
        'processes[0].exitCode: is given for a running process: only a zombie has an exit code',
      ],
      [
        'processes out of order',
        { ...base(), processes: [...base().processes].reverse() },
        'processes[1].pid: pid 1 is out of order: it follows pid 2, and processes go in ascending pid',
      ],
      [
        'a pid twice',
        withProcess(base(), 1, { pid: 1 }),
        'processes[1].pid: pid 1 duplicates the process before it',
      ],
      [
        'resources out of order',
        {
          ...base(),
          resources: [base().resources[1]!, base().resources[0]!, base().resources[2]!],
        },
        'resources[1].id: resource 1 is out of order: it follows resource 2, and resources go in ascending id',
      ],
      [
        'an attachment of a resource that is no segment',
        withProcess(base(), 1, { shm: [{ resource: 1, va: 0x20000 }] }),
        'processes[1].shm[0].resource: resource 1 is a pipe, not a shared memory segment',
      ],
      [
        'an attachment of no resource',
        withProcess(base(), 1, { shm: [{ resource: 12, va: 0x20000 }] }),
        'processes[1].shm[0].resource: resource 12 is not a resource of the image',
      ],
      [
        'an attachment not page-aligned',
        withProcess(base(), 1, { shm: [{ resource: 3, va: 0x20001 }] }),
        'processes[1].shm[0].va: 0x20001 is not aligned to the pageSize 4096',
      ],
      [
        'an attachment over a memory run',
        withProcess(base(), 1, { shm: [{ resource: 3, va: 0xf000 }] }),
        'processes[1].memory[1]: overlaps shm[0] (which starts at 0xf000)',
      ],
    ];

    it.each(cases)('refuses %s', (_, bad, issue) => {
      expect(messageOf(() => encodeCheckpoint(bad))).toBe(
        `checkpoint "base" cannot be encoded: ${issue}`,
      );
      expect(
        messageOf(() =>
          decodeCheckpoint(assemble({ manifest: manifestOf(bad), frames: bad.frames }), 'a.ckpt'),
        ),
      ).toBe(`the manifest of a.ckpt (at byte 20) is not a valid manifest: ${issue}`);
      expect(checkpointImageSchema.safeParse(bad).success).toBe(false);
    });

    it('refuses a frame of the wrong size, naming it', () => {
      const frames = [...base().frames];
      frames[2] = new Uint8Array(100);
      const bad = { ...base(), frames };
      expect(messageOf(() => encodeCheckpoint(bad))).toBe(
        'checkpoint "base" cannot be encoded: frames[2]: frame 2 has 100 bytes, not the pageSize 4096',
      );
    });

    it('names the first few problems, and counts the rest', () => {
      const bad = withProcess(base(), 0, {
        memory: [{ va: 0x1000, pages: 3, perms: 'rw-', frames: [5, 6, 7, 8, 9] }],
      });
      expect(messageOf(() => encodeCheckpoint(bad))).toMatch(
        /^checkpoint "base" cannot be encoded: processes\[0\]\.memory\[0\]\.frames: lists 5 frames for 3 pages: one for each; processes\[0\]\.memory\[0\]\.frames\[0\]: frame 5 is out of range: the image has 4 frames; .* \(and 3 more problems\)$/,
      );
    });

    it('accepts groups and sessions whose leaders are not in the image', () => {
      roundTrips(withProcess(withProcess(base(), 0, { pgid: 99, sid: 77 }), 1, { sid: 77 }));
    });

    it('refuses a field the format does not have, and a wrong type', () => {
      expect(messageOf(() => encodeCheckpoint(withProcess(base(), 0, { nice: 5 })))).toBe(
        'checkpoint "base" cannot be encoded: processes[0]: Unrecognized key: "nice"',
      );
      expect(
        messageOf(() =>
          encodeCheckpoint({
            ...base(),
            resources: [{ id: 1, kind: 'pipe', buffered: 'AQID' } as unknown as CheckpointResource],
          }),
        ),
      ).toBe('checkpoint "base" cannot be encoded: resources[0].buffered: expected a Uint8Array');
      expect(messageOf(() => encodeCheckpoint({ ...base(), name: 'x'.repeat(129) }))).toMatch(
        /^checkpoint "x+" cannot be encoded: name: Too big/,
      );
      expect(messageOf(() => encodeCheckpoint(undefined as unknown as CheckpointImage))).toMatch(
        /^the checkpoint cannot be encoded: /,
      );
    });
  });

  it('keeps a frame CRC as node:zlib computes it', () => {
    const data = patternPage(5, 512);
    expect(frameChecksum(data)).toBe(crc32(data));
    expect(frameChecksum(data)).not.toBe(frameChecksum(patternPage(6, 512)));
  });
});

describe('checkpoint files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronovisor-checkpoint-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const keyring = () =>
    new Keyring([{ id: 'owner', key: Uint8Array.from({ length: 32 }, (_, i) => i * 3) }], 'owner');
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => i);

  it('are written whole, through a partial file, and read back: plain', () => {
    const file = path.join(dir, 'tree.ckpt');
    writeCheckpointFile(file, encodeCheckpoint(base()));
    expect(readdirSync(dir)).toEqual(['tree.ckpt']);
    expect(readCheckpointFile(file)).toEqual(base());
    expect(new Uint8Array(readFileSync(file))).toEqual(encodeCheckpoint(base()));
    // A keyring changes nothing for a plain file, unless a sealed one is required.
    expect(readCheckpointFile(file, keyring())).toEqual(base());
    expect(messageOf(() => readCheckpointFile(file, keyring(), { sealed: true }))).toBe(
      `${file} is a plain checkpoint where a sealed one is required: its holder could have written it`,
    );
  });

  it('are written whole and read back: sealed, with the keyring', () => {
    const file = path.join(dir, 'tree.sealed');
    const sealed = sealCheckpoint(base(), keyring(), nonce);
    writeCheckpointFile(file, sealed);
    expect(readdirSync(dir)).toEqual(['tree.sealed']);
    expect(new Uint8Array(readFileSync(file))).toEqual(sealed);
    expect(readCheckpointFile(file, keyring())).toEqual(base());
    expect(readCheckpointFile(file, keyring(), { sealed: true })).toEqual(base());
    expect(messageOf(() => readCheckpointFile(file))).toBe(
      `${file} is a sealed checkpoint (under key "owner"): reading it needs its owner's keyring`,
    );
    const other = new Keyring([{ id: 'owner', key: new Uint8Array(32) }], 'owner');
    expect(messageOf(() => readCheckpointFile(file, other))).toBe(
      `${file} fails authentication: it was altered, or sealed with another key under the same id`,
    );
  });

  it('are not replaced unless forced', () => {
    const file = path.join(dir, 'tree.ckpt');
    writeFileSync(file, 'keep me');
    expect(messageOf(() => writeCheckpointFile(file, encodeCheckpoint(base())))).toBe(
      `${file} already exists; pass force to replace it`,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    writeCheckpointFile(file, encodeCheckpoint(base()), { force: true });
    expect(readCheckpointFile(file)).toEqual(base());
    writeCheckpointFile(file, sealCheckpoint(base(), keyring(), nonce), { force: true });
    expect(readCheckpointFile(file, keyring())).toEqual(base());
    expect(readdirSync(dir)).toEqual(['tree.ckpt']);
  });

  it('are never written from bytes that are no checkpoint', () => {
    const file = path.join(dir, 'tree.ckpt');
    expect(messageOf(() => writeCheckpointFile(file, new TextEncoder().encode('hello')))).toBe(
      `cannot write ${file}: the bytes given start with 0x68656c6c6f, which is neither a checkpoint image nor a sealed one`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('name the path when they cannot be written or read', () => {
    const bytes = encodeCheckpoint(base());
    const nowhere = path.join(dir, 'no-such-dir', 'tree.ckpt');
    expect(messageOf(() => writeCheckpointFile(nowhere, bytes))).toBe(
      `cannot write ${nowhere}: no such file or directory`,
    );
    expect(existsSync(`${nowhere}.partial`)).toBe(false);
    const missing = path.join(dir, 'missing.ckpt');
    expect(messageOf(() => readCheckpointFile(missing))).toBe(
      `cannot read ${missing}: no such file or directory`,
    );
    expect(messageOf(() => readCheckpointFile(dir))).toBe(`cannot read ${dir}: it is a directory`);
    expect(messageOf(() => writeCheckpointFile(dir, bytes, { force: true }))).toBe(
      `cannot write ${dir}: it is a directory`,
    );
    // A directory in the partial's place is someone else's: refused, and left alone.
    const blocked = path.join(dir, 'blocked.ckpt');
    mkdirSync(`${blocked}.partial`);
    expect(messageOf(() => writeCheckpointFile(blocked, bytes))).toBe(
      `cannot write ${blocked}: it is a directory`,
    );
    expect(existsSync(`${blocked}.partial`)).toBe(true);
  });

  it('name the path when what they hold is damaged', () => {
    const file = path.join(dir, 'tree.ckpt');
    writeCheckpointFile(file, encodeCheckpoint(base()));
    const bytes = readFileSync(file);
    bytes[bytes.length - 40]! ^= 1;
    writeFileSync(file, bytes);
    expect(messageOf(() => readCheckpointFile(file))).toBe(
      `frame 3 of ${file} fails its checksum: its bytes were altered (at byte ${bytes.length - 32 - (PAGE + 4)})`,
    );
    const sealedFile = path.join(dir, 'tree.sealed');
    const sealed = sealCheckpoint(base(), keyring(), nonce);
    sealed[100]! ^= 1;
    writeCheckpointFile(sealedFile, sealed);
    expect(messageOf(() => readCheckpointFile(sealedFile, keyring()))).toBe(
      `${sealedFile} fails authentication: it was altered, or sealed with another key under the same id`,
    );
  });
});
