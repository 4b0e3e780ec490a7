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
import {
  ImageError,
  decodeImage,
  encodeImage,
  pageChecksum,
  readImageFile,
  writeImageFile,
  type ImageManifest,
  type ImagePage,
  type SnapshotImage,
} from './index';
import { assemble, reseal } from './test-support/assemble';
import { GOLDEN_FILE, goldenImage, patternPage } from './test-support/golden-image';

const KIB4 = 0x1000;

/** The ImageError `run` throws (failing the test if it throws anything else, or nothing). */
function errorOf(run: () => unknown): ImageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ImageError);
    return error as ImageError;
  }
  throw new Error('expected an ImageError, but nothing was thrown');
}

const messageOf = (run: () => unknown): string => errorOf(run).message;

/** An image of `pageSize`, with pages at `gpas` in one run of `runPages` from 0. */
function image(
  gpas: readonly number[],
  options: { pageSize?: number; runPages?: number; manifest?: Partial<ImageManifest> } = {},
): SnapshotImage {
  const pageSize = options.pageSize ?? KIB4;
  return {
    manifest: {
      format: 1,
      name: 'base',
      pageSize,
      memory: [{ gpa: 0, pages: options.runPages ?? 8, perms: 'rw-' }],
      guests: [],
      vcpu: null,
      ...options.manifest,
    },
    pages: gpas.map((gpa, i) => ({ gpa, data: patternPage(i, pageSize) })),
  };
}

/** Four pages of 4 KiB at 0x0..0x3000: what the error cases damage. */
const base = (): SnapshotImage => image([0, 0x1000, 0x2000, 0x3000]);

/** Where the parts of an encoded image start, read from its header as FORMAT.md lays it out. */
function layoutOf(bytes: Uint8Array, pageSize: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const manifestLength = view.getUint32(12, true);
  const pageCount = view.getUint32(16, true);
  const indexStart = 20 + manifestLength;
  const pagesStart = indexStart + 12 * pageCount;
  const trailerStart = pagesStart + pageCount * pageSize;
  return { manifestLength, pageCount, indexStart, pagesStart, trailerStart };
}

/**
 * An image as comparable data: page bytes as base64, which jest compares at once where it walks
 * a typed array element by element (seconds for a 2 MiB page).
 */
function comparable(img: SnapshotImage) {
  return {
    manifest: img.manifest,
    pages: img.pages.map((p) => ({ gpa: p.gpa, data: Buffer.from(p.data).toString('base64') })),
  };
}

function roundTrips(original: SnapshotImage): void {
  const bytes = encodeImage(original);
  const decoded = decodeImage(bytes, 'round.snap');
  expect(comparable(decoded)).toEqual(comparable(original));
  for (const page of decoded.pages) expect(page.data.constructor).toBe(Uint8Array);
  expect(Buffer.from(encodeImage(decoded)).equals(bytes)).toBe(true);
}

describe('the snapshot image format', () => {
  describe('round trip', () => {
    it('gives back the same image and the same bytes, whatever its shape', () => {
      // No pages, no guests, no identity.
      roundTrips(image([], { manifest: { memory: [] } }));
      roundTrips(image([0x3000]));
      // Many pages over runs listed out of order, guests, an identity, nested vCPU state.
      roundTrips({
        manifest: {
          format: 1,
          name: 'many',
          pageSize: 512,
          memory: [
            { gpa: 0x10000, pages: 40, perms: 'rw-' },
            { gpa: 0, pages: 24, perms: 'r-x' },
          ],
          guests: [
            { mappings: [] },
            {
              mappings: [
                { va: 0x400000, gpa: 0, pages: 24, perms: 'r-x' },
                { va: 0x800000, gpa: 0x10000, pages: 40, perms: 'rw' },
              ],
            },
          ],
          vcpu: { pc: 0x400010, regs: [0, -1, 2.5], flags: { irq: true }, dev: ['virtio', null] },
          identity: { gpa: 0x10000 + 100, length: 32 },
        },
        pages: [
          ...Array.from({ length: 24 }, (_, i) => i * 512),
          ...Array.from({ length: 40 }, (_, i) => 0x10000 + i * 512),
        ].map((gpa, i) => ({ gpa, data: patternPage(i, 512) })),
      });
      // The largest page size.
      roundTrips(image([2 ** 21], { pageSize: 2 ** 21, runPages: 2 }));
    });

    it('writes equal manifests as equal bytes, however their keys were ordered', () => {
      const a = image([0x1000], { manifest: { vcpu: { a: 1, b: [2, { c: 3, d: 4 }] } } });
      const b: SnapshotImage = {
        pages: a.pages,
        manifest: {
          vcpu: { b: [2, { d: 4, c: 3 }], a: 1 },
          guests: [],
          memory: [{ perms: 'rw-', pages: 8, gpa: 0 }],
          pageSize: KIB4,
          name: 'base',
          format: 1,
        },
      };
      expect(encodeImage(b)).toEqual(encodeImage(a));
    });

    it('reads a view into a larger buffer, and gives pages of its own', () => {
      const bytes = encodeImage(base());
      const larger = new Uint8Array(bytes.length + 7);
      larger.set(bytes, 3);
      const decoded = decodeImage(larger.subarray(3, 3 + bytes.length), 'view.snap');
      expect(decoded).toEqual(base());
      larger.fill(0);
      expect(decoded).toEqual(base());
    });
  });

  describe('the golden file', () => {
    // If this fails, the format changed: files written before no longer read the same. Do not
    // regenerate the fixture to make it pass; make the change a new format version (the header's
    // u32, a new golden-v2.snap) and keep reading version 1.
    const golden = new Uint8Array(readFileSync(GOLDEN_FILE));

    it('is what the encoder writes today, byte for byte', () => {
      expect(golden.length).toBeLessThan(2048);
      expect(Buffer.from(encodeImage(goldenImage())).equals(golden)).toBe(true);
      expect(decodeImage(golden, 'golden-v1.snap')).toEqual(goldenImage());
    });

    it('is laid out as FORMAT.md says', () => {
      const view = new DataView(golden.buffer, golden.byteOffset, golden.byteLength);
      const { pages } = goldenImage();
      const at = layoutOf(golden, 512);
      expect(Buffer.from(golden.subarray(0, 8)).toString('latin1')).toBe('CVSNAP\0\0');
      expect(view.getUint32(8, true)).toBe(1);
      expect(at.pageCount).toBe(pages.length);
      const manifestText = Buffer.from(golden.subarray(20, at.indexStart)).toString('utf8');
      expect(JSON.parse(manifestText)).toEqual(goldenImage().manifest);
      expect(manifestText).not.toMatch(/\s/);
      pages.forEach((page, i) => {
        const entry = at.indexStart + 12 * i;
        expect(view.getBigUint64(entry, true)).toBe(BigInt(page.gpa));
        expect(view.getUint32(entry + 8, true)).toBe(crc32(page.data));
        expect(golden.subarray(at.pagesStart + 512 * i, at.pagesStart + 512 * (i + 1))).toEqual(
          page.data,
        );
      });
      const sha = createHash('sha256').update(golden.subarray(0, at.trailerStart)).digest();
      expect(Buffer.from(golden.subarray(at.trailerStart)).equals(sha)).toBe(true);
    });

    it('is refused wherever any one byte of it is changed', () => {
      for (const mask of [0x01, 0x80, 0xff]) {
        for (let at = 0; at < golden.length; at++) {
          const damaged = golden.slice();
          damaged[at]! ^= mask;
          expect(errorOf(() => decodeImage(damaged, 'golden-v1.snap')).message).toContain(
            'golden-v1.snap',
          );
        }
      }
    });
  });

  describe('on random images', () => {
    const perms = fc.constantFrom('rw-', 'r--', 'r-x', 'rwx', '---');
    const imageArb: fc.Arbitrary<SnapshotImage> = fc
      .record({
        pageSize: fc.constantFrom(512, 1024, 4096),
        runs: fc.array(
          fc.record({ gap: fc.nat(3), pages: fc.integer({ min: 1, max: 4 }), perms }),
          {
            maxLength: 4,
          },
        ),
        name: fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }),
        // Through JSON, as a capturer's state is: -0 comes back as 0.
        vcpu: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown),
        guests: fc.array(
          fc.array(
            fc.record({
              va: fc.nat(1000),
              gpa: fc.nat(1000),
              pages: fc.integer({ min: 1, max: 4 }),
              perms,
            }),
            { maxLength: 3 },
          ),
          { maxLength: 3 },
        ),
      })
      .chain(({ pageSize, runs, name, vcpu, guests }) => {
        let next = 0;
        const memory = runs.map(({ gap, pages, perms }) => {
          const gpa = next + gap * pageSize;
          next = gpa + pages * pageSize;
          return { gpa, pages, perms };
        });
        const all = memory.flatMap((r) =>
          Array.from({ length: r.pages }, (_, i) => r.gpa + i * pageSize),
        );
        const page = (gpa: number) =>
          fc
            .uint8Array({ minLength: pageSize, maxLength: pageSize })
            .map((data): ImagePage => ({ gpa, data }));
        const identity =
          memory.length === 0
            ? fc.constant(undefined)
            : fc.option(
                fc
                  .nat(all.length - 1)
                  .chain((p) =>
                    fc
                      .integer({ min: 1, max: pageSize })
                      .map((length) => ({ gpa: all[p]!, length })),
                  ),
                { nil: undefined },
              );
        return fc
          .record({
            memory: fc.shuffledSubarray(memory, { minLength: memory.length }),
            pages: fc.subarray(all).chain((gpas) => fc.tuple(...gpas.map(page))),
            identity,
          })
          .map(({ memory: listed, pages, identity }): SnapshotImage => ({
            manifest: {
              format: 1,
              name,
              pageSize,
              memory: listed,
              guests: guests.map((mappings) => ({
                mappings: mappings.map((m) => ({
                  ...m,
                  va: m.va * pageSize,
                  gpa: m.gpa * pageSize,
                })),
              })),
              vcpu,
              ...(identity ? { identity } : {}),
            },
            pages,
          }));
      });

    it('round trips', () => {
      fc.assert(fc.property(imageArb, roundTrips), { numRuns: 200 });
    });

    it('detects any one byte changed, and names the page whose data it was in', () => {
      fc.assert(
        fc.property(imageArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (original, n, mask) => {
          const bytes = encodeImage(original);
          const { pageSize } = original.manifest;
          const at = layoutOf(bytes, pageSize);
          const where = n % bytes.length;
          bytes[where]! ^= mask;
          const message = messageOf(() => decodeImage(bytes, 'flip.snap'));
          expect(message).toContain('flip.snap');
          if (where >= at.pagesStart && where < at.trailerStart) {
            const i = Math.floor((where - at.pagesStart) / pageSize);
            const gpa = original.pages[i]!.gpa.toString(16);
            expect(message).toContain(`page ${i} (gpa 0x${gpa}) of flip.snap fails its checksum`);
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('refuses a damaged file, saying what and where', () => {
    const bytes = encodeImage(base());
    const at = layoutOf(bytes, KIB4);
    const decode = (damaged: Uint8Array) => messageOf(() => decodeImage(damaged, 'a.snap'));
    const manifestWith = (change: Partial<ImageManifest> & Record<string, unknown>) => ({
      ...base().manifest,
      ...change,
    });

    it('that is not an image', () => {
      const elf = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, ...bytes.subarray(4));
      expect(decode(elf)).toBe(
        'a.snap is not a Chronovisor snapshot image: it starts with 0x7f454c4641500000, not the magic "CVSNAP\\0\\0"',
      );
      expect(decode(assemble({ magic: 'CVSNAQ\0\0', manifest: base().manifest }))).toMatch(
        /^a\.snap is not a Chronovisor snapshot image/,
      );
    });

    it('written by a newer Chronovisor, or in no format known', () => {
      expect(decode(assemble({ format: 2, manifest: base().manifest }))).toBe(
        'a.snap is in image format 2, written by a newer Chronovisor: this one reads format 1 only',
      );
      expect(decode(assemble({ format: 0, manifest: base().manifest }))).toBe(
        'a.snap has an unknown image format 0 (at byte 8): this Chronovisor reads format 1 only',
      );
    });

    it('truncated, in whichever part it ends', () => {
      const cut = (length: number) => decode(bytes.subarray(0, length));
      expect(cut(0)).toBe(
        'a.snap is truncated in its header (at byte 0): expected 20 bytes, found 0',
      );
      expect(cut(5)).toBe(
        'a.snap is truncated in its header (at byte 0): expected 20 bytes, found 5',
      );
      expect(cut(13)).toBe(
        'a.snap is truncated in its header (at byte 0): expected 20 bytes, found 13',
      );
      expect(cut(25)).toBe(
        `a.snap is truncated in its manifest (at byte 20): expected ${at.manifestLength} bytes, found 5`,
      );
      expect(cut(at.indexStart + 15)).toBe(
        `a.snap is truncated in its page index (4 entries, at byte ${at.indexStart}): expected 48 bytes, found 15`,
      );
      expect(cut(at.pagesStart + 2 * KIB4 + 100)).toBe(
        `a.snap is truncated in page 2's data (gpa 0x2000, at byte ${at.pagesStart + 2 * KIB4}): expected 4096 bytes, found 100`,
      );
      expect(cut(at.pagesStart)).toContain("truncated in page 0's data (gpa 0x0,");
      expect(cut(bytes.length - 10)).toBe(
        `a.snap is truncated in its trailer (at byte ${at.trailerStart}): expected 32 bytes, found 22`,
      );
    });

    it('with bytes after its trailer', () => {
      const longer = new Uint8Array(bytes.length + 5);
      longer.set(bytes);
      expect(decode(longer)).toBe(
        `a.snap has 5 bytes after its trailer (at byte ${bytes.length}): the file should end there`,
      );
    });

    it('whose manifest is not JSON, or not UTF-8', () => {
      expect(decode(assemble({ manifest: '{"format":1,' }))).toMatch(
        /^the manifest of a\.snap \(at byte 20\) is not JSON: /,
      );
      const notUtf8 = bytes.slice();
      notUtf8[Buffer.from(notUtf8).indexOf('"base"') + 1] = 0xff;
      expect(decode(reseal(notUtf8))).toBe('the manifest of a.snap (at byte 20) is not UTF-8 text');
    });

    it('whose manifest nests deeper than it can be checked', () => {
      const deep = '['.repeat(200_000) + ']'.repeat(200_000);
      const manifest = JSON.stringify(base().manifest).replace('"vcpu":null', `"vcpu":${deep}`);
      expect(decode(assemble({ manifest }))).toMatch(
        /^the manifest of a\.snap \(at byte 20\) cannot be checked: /,
      );
      const vcpu = JSON.parse(deep) as unknown;
      expect(messageOf(() => encodeImage(image([], { manifest: { vcpu } })))).toMatch(
        /^image "base" cannot be checked: /,
      );
    });

    it('whose manifest fails its schema, naming the field', () => {
      const memory = [
        { gpa: 0, pages: 1, perms: 'rw-' },
        { gpa: 0x1000, pages: 1, perms: 'rw-' },
        { gpa: 0x2000, pages: 0, perms: 'rw-' },
      ];
      expect(decode(assemble({ manifest: manifestWith({ memory }) }))).toBe(
        'the manifest of a.snap (at byte 20) is not a valid manifest: memory[2].pages: Too small: expected number to be >=1',
      );
      const cases: [Record<string, unknown>, string][] = [
        [{ pageSize: 3000 }, 'pageSize: must be a power of two'],
        [{ pageSize: 256 }, 'pageSize: Too small'],
        [{ name: '' }, 'name: Too small'],
        [{ format: 2 }, 'format: Invalid input: expected 1'],
        [{ vcpu: undefined }, 'vcpu: is missing'],
        [{ colour: 'red' }, 'Unrecognized key: "colour"'],
        [{ memory: [{ gpa: 0x10, pages: 1, perms: 'rw-' }] }, 'memory[0].gpa: 0x10 is not aligned'],
        [{ memory: [{ gpa: 0, pages: 1, perms: 'rwz' }] }, 'memory[0].perms: must be rwx letters'],
        [
          {
            memory: [
              { gpa: 0x2000, pages: 2, perms: 'rw-' },
              { gpa: 0x1000, pages: 2, perms: 'rw-' },
            ],
          },
          'memory[0]: overlaps memory[1]',
        ],
        [
          { guests: [{ mappings: [{ va: 0x401000, gpa: 0x800, pages: 1, perms: 'r-x' }] }] },
          'guests[0].mappings[0].gpa: 0x800 is not aligned',
        ],
        [{ identity: { gpa: 0x7ff0, length: 32 } }, 'identity: 32 bytes at 0x7ff0 are not all'],
      ];
      for (const [change, expected] of cases)
        expect(decode(assemble({ manifest: manifestWith(change) }))).toContain(expected);
    });

    it('whose page index is out of order, duplicated, misaligned or outside memory', () => {
      const pages = [patternPage(0, KIB4), patternPage(1, KIB4)];
      const indexed = (gpas: (number | bigint)[]) =>
        decode(assemble({ manifest: base().manifest, pages, gpas }));
      const entry1 = 20 + Buffer.byteLength(JSON.stringify(base().manifest)) + 12;
      expect(indexed([0x1000, 0])).toBe(
        `page 1 (gpa 0x0) of a.snap is out of order: it follows gpa 0x1000, and pages go in ascending gpa (index entry at byte ${entry1})`,
      );
      expect(indexed([0x1000, 0x1000])).toBe(
        `page 1 (gpa 0x1000) of a.snap duplicates the page before it (index entry at byte ${entry1})`,
      );
      expect(indexed([0, 0x1010])).toBe(
        `page 1 (gpa 0x1010) of a.snap is not aligned to the pageSize 4096 (index entry at byte ${entry1})`,
      );
      expect(indexed([0, 0x9000])).toBe(
        `page 1 (gpa 0x9000) of a.snap lies outside every memory run of the manifest (index entry at byte ${entry1})`,
      );
      expect(indexed([0, 2n ** 60n])).toContain(
        'page 1 (gpa 0x1000000000000000) of a.snap lies outside every memory run',
      );
    });

    it('whose pages are not of its pageSize', () => {
      const pages = [patternPage(0, 512), patternPage(1, 512)];
      expect(decode(assemble({ manifest: base().manifest, pages, gpas: [0, 0x1000] }))).toMatch(
        /^a\.snap holds 2 pages of 512 bytes each, but its manifest's pageSize is 4096 \(pages start at byte \d+\)$/,
      );
    });

    it('with a page whose bytes were altered, naming that page', () => {
      const damaged = bytes.slice();
      damaged[at.pagesStart + 3 * KIB4 + 77]! ^= 0x20;
      expect(decode(damaged)).toBe(
        `page 3 (gpa 0x3000) of a.snap fails its checksum: its bytes were altered (its data starts at byte ${at.pagesStart + 3 * KIB4})`,
      );
      // Found by its CRC even where the trailer was made to match.
      expect(decode(reseal(damaged))).toContain(
        'page 3 (gpa 0x3000) of a.snap fails its checksum: its bytes were altered',
      );
      damaged[at.pagesStart + 1]! ^= 0x01;
      expect(decode(damaged)).toContain(
        'page 0 (gpa 0x0) of a.snap fails its checksum: its bytes were altered (its data starts at byte ' +
          `${at.pagesStart}; 1 more page fails too)`,
      );
    });

    it('whose header, manifest or index was altered where no page checksum sees it', () => {
      const message =
        'a.snap fails its SHA-256 trailer check though every page passes its checksum: its header, manifest or page index was altered';
      const renamed = bytes.slice();
      renamed[Buffer.from(renamed).indexOf('"base"') + 1] = 'c'.charCodeAt(0);
      expect(decode(renamed)).toContain(message);
      // A page moved to another gpa in memory: its CRC, of its bytes alone, still passes.
      const moved = bytes.slice();
      moved[at.indexStart + 3 * 12 + 1] = 0x40;
      expect(decode(moved)).toContain(message);
      const trailer = bytes.slice();
      trailer[bytes.length - 1]! ^= 1;
      expect(decode(trailer)).toBe(
        `${message} (or the trailer itself, at byte ${at.trailerStart})`,
      );
    });
  });

  describe('refuses to encode an image it could not read back', () => {
    const encode = (bad: SnapshotImage) => messageOf(() => encodeImage(bad));

    it('naming the page at fault', () => {
      const short = base();
      const pages = [...short.pages];
      pages[1] = { gpa: 0x1000, data: new Uint8Array(100) };
      expect(encode({ ...short, pages })).toBe(
        'image "base" cannot be encoded: pages[1].data: page 1 (gpa 0x1000) has 100 bytes, not the pageSize 4096',
      );
      expect(encode(image([0x2000, 0x1000]))).toContain(
        'pages[1].gpa: page 1 (gpa 0x1000) is out of order',
      );
      expect(encode(image([0x1000, 0x1000]))).toContain(
        'page 1 (gpa 0x1000) duplicates the page before it',
      );
      expect(encode(image([0x8000]))).toContain(
        'page 0 (gpa 0x8000) lies outside every memory run of the manifest',
      );
    });

    it('naming the manifest field at fault', () => {
      const withVcpu = (vcpu: unknown) => image([], { manifest: { vcpu } });
      expect(encode(withVcpu({ regs: [1, Infinity] }))).toBe(
        'image "base" cannot be encoded: manifest.vcpu.regs[1]: is Infinity, which is not plain JSON',
      );
      expect(encode(withVcpu({ blob: new Uint8Array(2) }))).toContain(
        'manifest.vcpu.blob: is an instance of Uint8Array, which is not plain JSON',
      );
      expect(encode(withVcpu({ at: 1n }))).toContain('manifest.vcpu.at: is a bigint');
      expect(encode(image([], { manifest: { name: 'x'.repeat(129) } }))).toMatch(
        /^image "x+" cannot be encoded: manifest\.name: Too big/,
      );
    });
  });

  it('keeps a page CRC as node:zlib computes it', () => {
    const data = patternPage(5, 512);
    expect(pageChecksum(data)).toBe(crc32(data));
    expect(pageChecksum(data)).not.toBe(pageChecksum(patternPage(6, 512)));
  });
});

describe('image files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chronovisor-image-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are written whole, through a partial file, and read back', () => {
    const file = path.join(dir, 'vm.snap');
    writeImageFile(file, base());
    expect(readdirSync(dir)).toEqual(['vm.snap']);
    expect(readImageFile(file)).toEqual(base());
    expect(new Uint8Array(readFileSync(file))).toEqual(encodeImage(base()));
  });

  it('are not replaced unless forced', () => {
    const file = path.join(dir, 'vm.snap');
    writeFileSync(file, 'keep me');
    expect(messageOf(() => writeImageFile(file, base()))).toBe(
      `${file} already exists; pass force to replace it`,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    writeImageFile(file, base(), { force: true });
    expect(readImageFile(file)).toEqual(base());
    expect(readdirSync(dir)).toEqual(['vm.snap']);
  });

  it('are left untouched when the new image cannot be written', () => {
    const file = path.join(dir, 'vm.snap');
    writeFileSync(file, 'keep me');
    const bad = base();
    const pages = [{ gpa: 0, data: new Uint8Array(10) }, ...bad.pages.slice(1)];
    expect(messageOf(() => writeImageFile(file, { ...bad, pages }, { force: true }))).toContain(
      'page 0 (gpa 0x0) has 10 bytes',
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(dir)).toEqual(['vm.snap']);
  });

  it('name the path when they cannot be written or read', () => {
    const nowhere = path.join(dir, 'no-such-dir', 'vm.snap');
    expect(messageOf(() => writeImageFile(nowhere, base()))).toBe(
      `cannot write ${nowhere}: no such file or directory`,
    );
    expect(existsSync(`${nowhere}.partial`)).toBe(false);
    const missing = path.join(dir, 'missing.snap');
    expect(messageOf(() => readImageFile(missing))).toBe(
      `cannot read ${missing}: no such file or directory`,
    );
    expect(messageOf(() => readImageFile(dir))).toBe(`cannot read ${dir}: it is a directory`);
    expect(messageOf(() => writeImageFile(dir, base(), { force: true }))).toBe(
      `cannot write ${dir}: it is a directory`,
    );
    // A directory in the partial's place is someone else's: refused, and left alone.
    const blocked = path.join(dir, 'blocked.snap');
    mkdirSync(`${blocked}.partial`);
    expect(messageOf(() => writeImageFile(blocked, base()))).toBe(
      `cannot write ${blocked}: it is a directory`,
    );
    expect(existsSync(`${blocked}.partial`)).toBe(true);
  });

  it('name the path when what they hold is damaged', () => {
    const file = path.join(dir, 'vm.snap');
    writeImageFile(file, base());
    const bytes = readFileSync(file);
    bytes[bytes.length - 40]! ^= 1;
    writeFileSync(file, bytes);
    expect(messageOf(() => readImageFile(file))).toMatch(
      new RegExp(
        `^page 3 \\(gpa 0x3000\\) of ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} fails its checksum`,
      ),
    );
  });
});
