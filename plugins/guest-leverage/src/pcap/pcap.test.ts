import { readFileSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { PcapError, parsePcap, writePcap, type Capture, type CaptureToWrite } from './index';
import { MIXED_CAPTURE_FILE, MIXED_PACKETS } from './test-support/make-capture';

/** The PcapError `run` throws (failing the test if it throws anything else, or nothing). */
function errorOf(run: () => unknown): PcapError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PcapError);
    return error as PcapError;
  }
  throw new Error('expected a PcapError, but nothing was thrown');
}

const messageOf = (run: () => unknown): string => errorOf(run).message;

/** One record of a hand-built file, its fields as they are to be written. */
interface Rec {
  readonly seconds: number;
  readonly fraction: number;
  readonly data: number[];
  readonly incl?: number;
  readonly orig?: number;
}

/**
 * A pcap file built field by field, in either byte order and with any magic or version: what
 * writePcap never writes (big-endian, nanoseconds) or refuses to (damaged records).
 */
function handBuilt(options: {
  littleEndian: boolean;
  magic?: number;
  version?: [number, number];
  snaplen?: number;
  network?: number;
  records: readonly Rec[];
}): Uint8Array {
  const { littleEndian: le, records } = options;
  const size = records.reduce((sum, r) => sum + 16 + r.data.length, 24);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const [major, minor] = options.version ?? [2, 4];
  view.setUint32(0, options.magic ?? 0xa1b2c3d4, le);
  view.setUint16(4, major, le);
  view.setUint16(6, minor, le);
  view.setInt32(8, 0, le);
  view.setUint32(12, 0, le);
  view.setUint32(16, options.snaplen ?? 65535, le);
  view.setUint32(20, options.network ?? 1, le);
  let at = 24;
  for (const r of records) {
    view.setUint32(at, r.seconds, le);
    view.setUint32(at + 4, r.fraction, le);
    view.setUint32(at + 8, r.incl ?? r.data.length, le);
    view.setUint32(at + 12, r.orig ?? r.data.length, le);
    bytes.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return bytes;
}

const fromHex = (hex: string): Uint8Array =>
  new Uint8Array(Buffer.from(hex.replace(/\s/g, ''), 'hex'));

/** The byte offsets of a parsed capture's record headers. */
const recordOffsets = (capture: Capture): number[] =>
  capture.packets.map((_, i) =>
    capture.packets.slice(0, i).reduce((at, p) => at + 16 + p.data.length, 24),
  );

/** RFC 1071's sum of big-endian 16-bit words, folded: 0xffff over a header whose checksum is right. */
function onesComplementSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** An Ethernet/IPv4/UDP frame's parts, read by offsets as RFC 791 and RFC 768 lay them out. */
function dissect(frame: Uint8Array) {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const ipHeader = frame.subarray(14, 34);
  const udpLength = view.getUint16(38);
  return {
    etherType: view.getUint16(12),
    ipHeader,
    ipTotalLength: view.getUint16(16),
    protocol: frame[23],
    udp: frame.subarray(34, 34 + udpLength),
    udpLength,
    payload: frame.subarray(42, 34 + udpLength),
  };
}

const has = (bytes: Uint8Array, text: string): boolean => Buffer.from(bytes).includes(text);

describe('classic pcap captures', () => {
  describe('the mixed.pcap fixture', () => {
    const bytes = new Uint8Array(readFileSync(MIXED_CAPTURE_FILE));
    const capture = parsePcap(bytes, 'mixed.pcap');

    it('is small, and has the header tcpdump writes on x86, byte for byte', () => {
      expect(bytes.length).toBeLessThan(3 * 1024);
      // prettier-ignore
      const header = Uint8Array.of(
        0xd4, 0xc3, 0xb2, 0xa1, // magic 0xa1b2c3d4, little-endian: µs timestamps
        0x02, 0x00, 0x04, 0x00, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone 0
        0x00, 0x00, 0x00, 0x00, // sigfigs 0
        0xff, 0xff, 0x00, 0x00, // snaplen 65535
        0x01, 0x00, 0x00, 0x00, // network 1: Ethernet
      );
      expect(bytes.subarray(0, 24)).toEqual(header);
    });

    it('parses into its 12 packets, in order, none snapped', () => {
      expect(capture.linkType).toBe(1);
      expect(capture.snapLength).toBe(65535);
      expect(capture.nanosecond).toBe(false);
      expect(capture.packets).toHaveLength(MIXED_PACKETS.length);
      expect(capture.packets).toHaveLength(12);
      capture.packets.forEach((packet, i) => {
        expect(packet.index).toBe(i);
        expect(packet.timestampMicros).toBe(1_700_000_000_000_000 + i * 250_013);
        expect(packet.originalLength).toBe(packet.data.length);
      });
    });

    it('holds Ethernet/IPv4/UDP frames whose checksums verify', () => {
      for (const { data } of capture.packets) {
        const frame = dissect(data);
        expect(frame.etherType).toBe(0x0800);
        expect(frame.ipHeader[0]).toBe(0x45);
        expect(frame.ipTotalLength).toBe(data.length - 14);
        expect(frame.protocol).toBe(17);
        expect(frame.udpLength).toBe(frame.ipTotalLength - 20);
        // The stored IPv4 checksum is the one computed with the field zeroed...
        const zeroed = frame.ipHeader.slice();
        zeroed[10] = zeroed[11] = 0;
        const computed = ~onesComplementSum(zeroed) & 0xffff;
        expect((frame.ipHeader[10]! << 8) | frame.ipHeader[11]!).toBe(computed);
        // ...so the sum over the whole header is all ones.
        expect(onesComplementSum(frame.ipHeader)).toBe(0xffff);
        // And the UDP checksum, over the pseudo header (addresses, protocol, length) and datagram.
        const pseudo = Uint8Array.of(...frame.ipHeader.subarray(12, 20), 0, 17);
        const withLength = Uint8Array.of(...pseudo, frame.udpLength >> 8, frame.udpLength & 0xff);
        expect(onesComplementSum(Uint8Array.of(...withLength, ...frame.udp))).toBe(0xffff);
      }
    });

    it('carries the payloads make-capture.ts lists, of each kind', () => {
      const kinds = MIXED_PACKETS.map((p) => p.kind);
      for (const kind of ['text', 'deflate', 'crc-ok', 'crc-bad'] as const)
        expect(kinds.filter((k) => k === kind).length).toBeGreaterThanOrEqual(2);
      capture.packets.forEach((packet, i) => {
        const { kind, text } = MIXED_PACKETS[i]!;
        const { payload } = dissect(packet.data);
        const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
        if (kind === 'text') expect(utf8(payload)).toBe(text);
        if (kind === 'deflate') expect(utf8(inflateRawSync(payload))).toBe(text);
        else expect(() => inflateRawSync(payload)).toThrow();
        if (kind === 'crc-ok' || kind === 'crc-bad') {
          const body = payload.subarray(0, -4);
          const trailer = Buffer.from(payload.subarray(-4)).readUInt32BE(0);
          expect(utf8(body)).toBe(text);
          expect(trailer === crc32(body)).toBe(kind === 'crc-ok');
        }
        // "attack" shows in the bytes unless deflate hides it.
        expect(has(payload, 'attack')).toBe(kind !== 'deflate' && text.includes('attack'));
      });
      expect(MIXED_PACKETS.map((p) => p.text)).toEqual(
        expect.arrayContaining(['GET /index.html', 'hello']),
      );
      expect(MIXED_PACKETS.filter((p) => p.text.includes('attack')).map((p) => p.kind)).toEqual([
        'text',
        'text',
        'deflate',
        'crc-ok',
        'crc-bad',
      ]);
    });
  });

  describe('round trip', () => {
    const captureArb: fc.Arbitrary<CaptureToWrite> = fc
      .record({
        linkType: fc.nat({ max: 0xffff }),
        spare: fc.nat({ max: 100 }),
        packets: fc.array(
          fc.record({
            timestampMicros: fc.integer({ min: 0, max: 2 ** 32 * 1e6 - 1 }),
            data: fc.uint8Array({ maxLength: 80 }),
            snapped: fc.option(fc.nat({ max: 2000 }), { nil: undefined }),
          }),
          { maxLength: 16 },
        ),
      })
      .map(({ linkType, spare, packets }) => ({
        linkType,
        snapLength: Math.max(0, ...packets.map((p) => p.data.length)) + spare,
        packets: packets.map(({ timestampMicros, data, snapped }) =>
          snapped === undefined
            ? { timestampMicros, data }
            : { timestampMicros, data, originalLength: data.length + snapped },
        ),
      }));

    it('gives back the capture written, and the same bytes, whatever it holds', () => {
      fc.assert(
        fc.property(captureArb, (original) => {
          const bytes = writePcap(original);
          const parsed = parsePcap(bytes, 'round.pcap');
          expect(parsed).toEqual({
            linkType: original.linkType,
            snapLength: original.snapLength,
            nanosecond: false,
            packets: original.packets.map((p, index) => ({
              index,
              timestampMicros: p.timestampMicros,
              data: p.data,
              originalLength: p.originalLength ?? p.data.length,
            })),
          });
          expect(writePcap(parsed)).toEqual(bytes);
        }),
        { numRuns: 300 },
      );
    });

    it('reads a view into a larger buffer, and gives data of its own', () => {
      const bytes = writePcap({
        linkType: 1,
        snapLength: 8,
        packets: [{ timestampMicros: 5, data: Uint8Array.of(1, 2, 3) }],
      });
      const larger = new Uint8Array(bytes.length + 7);
      larger.set(bytes, 3);
      const { packets } = parsePcap(larger.subarray(3, 3 + bytes.length), 'view.pcap');
      larger.fill(0);
      expect(packets[0]!.data).toEqual(Uint8Array.of(1, 2, 3));
    });

    it('reads an empty capture: a global header alone', () => {
      const bytes = writePcap({ linkType: 101, snapLength: 0, packets: [] });
      expect(bytes.length).toBe(24);
      expect(parsePcap(bytes, 'empty.pcap')).toEqual({
        linkType: 101,
        snapLength: 0,
        nanosecond: false,
        packets: [],
      });
    });
  });

  describe('files written elsewhere', () => {
    it('reads a big-endian nanosecond file, written out byte by byte', () => {
      const bytes = fromHex(`
        a1b23c4d 0002 0004 00000000 00000000 00000040 00000001
        6553f100 3b9ac9ff 00000004 0000003c deadbeef
        6553f101 00000000 00000000 00000000
      `);
      expect(parsePcap(bytes, 'be-ns.pcap')).toEqual({
        linkType: 1,
        snapLength: 64,
        nanosecond: true,
        packets: [
          {
            index: 0,
            // 999,999,999 ns is 999,999 µs, floored, not rounded up into the next second.
            timestampMicros: 1_700_000_000_999_999,
            data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
            originalLength: 60,
          },
          {
            index: 1,
            timestampMicros: 1_700_000_001_000_000,
            data: new Uint8Array(),
            originalLength: 0,
          },
        ],
      });
    });

    it('reads each of the four magics, in its byte order', () => {
      const records = (fraction: number): Rec[] => [
        { seconds: 1_000, fraction, data: [1, 2, 3], orig: 1500 },
        { seconds: 0xffffffff, fraction: 0, data: [] },
      ];
      const flavours = [
        { littleEndian: true, magic: 0xa1b2c3d4, nanosecond: false, start: 'd4c3b2a1' },
        { littleEndian: false, magic: 0xa1b2c3d4, nanosecond: false, start: 'a1b2c3d4' },
        { littleEndian: true, magic: 0xa1b23c4d, nanosecond: true, start: '4d3cb2a1' },
        { littleEndian: false, magic: 0xa1b23c4d, nanosecond: true, start: 'a1b23c4d' },
      ];
      for (const { littleEndian, magic, nanosecond, start } of flavours) {
        const bytes = handBuilt({
          littleEndian,
          magic,
          snaplen: 96,
          network: 228,
          records: records(nanosecond ? 123_456_789 : 123_456),
        });
        expect(Buffer.from(bytes.subarray(0, 4)).toString('hex')).toBe(start);
        expect(parsePcap(bytes, 'any.pcap')).toEqual({
          linkType: 228,
          snapLength: 96,
          nanosecond,
          packets: [
            {
              index: 0,
              timestampMicros: 1_000_123_456,
              data: Uint8Array.of(1, 2, 3),
              originalLength: 1500,
            },
            {
              index: 1,
              timestampMicros: 0xffffffff * 1_000_000,
              data: new Uint8Array(),
              originalLength: 0,
            },
          ],
        });
      }
    });

    it('takes the link type from the network field, leaving out its FCS bits', () => {
      // LINKTYPE_ETHERNET, with the FCS-length bits saying each frame ends in a 4-byte FCS.
      const bytes = handBuilt({ littleEndian: false, network: 0x24000001, records: [] });
      expect(parsePcap(bytes, 'fcs.pcap').linkType).toBe(1);
    });
  });

  describe('refuses a file that is not a capture it can read, saying what and where', () => {
    const fixture = new Uint8Array(readFileSync(MIXED_CAPTURE_FILE));
    const at = recordOffsets(parsePcap(fixture, 'mixed.pcap'));
    const parse = (bytes: Uint8Array) => messageOf(() => parsePcap(bytes, 'a.pcap'));
    const cut = (length: number) => parse(fixture.subarray(0, length));
    const one = (rec: Rec, nanosecond = false, snaplen = 65535) =>
      parse(
        handBuilt({
          littleEndian: true,
          magic: nanosecond ? 0xa1b23c4d : 0xa1b2c3d4,
          snaplen,
          records: [{ seconds: 1, fraction: 0, data: [1] }, rec],
        }),
      );

    it('that is no pcap at all', () => {
      const elf = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, ...fixture.subarray(4));
      expect(parse(elf)).toBe(
        'a.pcap is not a pcap capture: it starts with 0x7f454c46, not a pcap magic (0xa1b2c3d4 or 0xa1b23c4d, in either byte order)',
      );
      expect(parse(Uint8Array.of(0xd4, 0x00))).toBe(
        'a.pcap is not a pcap capture: it starts with 0xd400, not a pcap magic (0xa1b2c3d4 or 0xa1b23c4d, in either byte order)',
      );
      // The magic of Alexey Kuznetzov's modified pcap: not one of the four.
      expect(parse(handBuilt({ littleEndian: true, magic: 0xa1b2cd34, records: [] }))).toContain(
        'it starts with 0x34cdb2a1, not a pcap magic',
      );
    });

    it('that is pcapng', () => {
      const pcapng = fromHex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000');
      expect(parse(pcapng)).toBe(
        'a.pcap is a pcapng file (it starts with 0x0a0d0d0a), which is not supported: only classic pcap is read, so convert it first (editcap -F pcap)',
      );
    });

    it('of another version', () => {
      expect(parse(handBuilt({ littleEndian: true, version: [2, 3], records: [] }))).toBe(
        'a.pcap is pcap version 2.3 (at byte 4): only version 2.4 is read',
      );
      expect(parse(handBuilt({ littleEndian: false, version: [3, 0], records: [] }))).toBe(
        'a.pcap is pcap version 3.0 (at byte 4): only version 2.4 is read',
      );
    });

    it('truncated in its global header', () => {
      expect(cut(0)).toBe(
        'a.pcap is truncated in its global header (at byte 0): expected 24 bytes, found 0',
      );
      // Two bytes that begin a magic: short, rather than something else.
      expect(cut(2)).toBe(
        'a.pcap is truncated in its global header (at byte 0): expected 24 bytes, found 2',
      );
      expect(cut(23)).toBe(
        'a.pcap is truncated in its global header (at byte 0): expected 24 bytes, found 23',
      );
    });

    it("truncated in a packet's record header, naming the packet", () => {
      expect(cut(at[3]! + 5)).toBe(
        `a.pcap is truncated in packet 3's record header (at byte ${at[3]}): expected 16 bytes, found 5`,
      );
      expect(cut(at[11]! + 15)).toBe(
        `a.pcap is truncated in packet 11's record header (at byte ${at[11]}): expected 16 bytes, found 15`,
      );
    });

    it("truncated in a packet's data, naming the packet", () => {
      const expected = at[8]! - at[7]! - 16;
      expect(cut(at[7]! + 16 + 10)).toBe(
        `a.pcap is truncated in packet 7's data (at byte ${at[7]! + 16}): expected ${expected} bytes, found 10`,
      );
      expect(cut(fixture.length - 1)).toBe(
        `a.pcap is truncated in packet 11's data (at byte ${at[11]! + 16}): expected ${fixture.length - at[11]! - 16} bytes, found ${fixture.length - at[11]! - 17}`,
      );
    });

    it('whose packet holds more than the snaplen', () => {
      expect(one({ seconds: 2, fraction: 0, data: [1, 2, 3] }, false, 2)).toBe(
        "packet 1 of a.pcap has an incl_len of 3 (at byte 49), more than the file's snaplen of 2 (at byte 16)",
      );
    });

    it('whose packet holds more than its original length', () => {
      expect(one({ seconds: 2, fraction: 0, data: [1, 2, 3], orig: 2 })).toBe(
        'packet 1 of a.pcap has an incl_len of 3 (at byte 49), more than its orig_len of 2: no more bytes can be captured than the packet had',
      );
    });

    it('whose packet has a wild incl_len, rather than calling the file short', () => {
      expect(one({ seconds: 2, fraction: 0, data: [], incl: 0x7fffffff, orig: 0x7fffffff })).toBe(
        "packet 1 of a.pcap has an incl_len of 2147483647 (at byte 49), more than the file's snaplen of 65535 (at byte 16)",
      );
    });

    it('whose packet has a fraction of a second that is a second or more', () => {
      expect(one({ seconds: 2, fraction: 1_000_000, data: [] })).toBe(
        'packet 1 of a.pcap has a ts_usec of 1000000 (at byte 45): a fraction of a second must be below 1000000',
      );
      expect(one({ seconds: 2, fraction: 1_000_000_000, data: [] }, true)).toBe(
        'packet 1 of a.pcap has a ts_nsec of 1000000000 (at byte 45): a fraction of a second must be below 1000000000',
      );
      // Up to the second itself: a fine microsecond count in a nanosecond file, and the largest.
      expect(() =>
        parsePcap(
          handBuilt({
            littleEndian: true,
            magic: 0xa1b23c4d,
            records: [{ seconds: 0, fraction: 1_000_000, data: [] }],
          }),
          'ns.pcap',
        ),
      ).not.toThrow();
      expect(() =>
        parsePcap(
          handBuilt({ littleEndian: true, records: [{ seconds: 0, fraction: 999_999, data: [] }] }),
          'us.pcap',
        ),
      ).not.toThrow();
    });

    it('of which any prefix is refused or read as a shorter capture, never mistaken', () => {
      for (let length = 0; length < fixture.length; length++) {
        const recordEnds = [24, ...at.slice(1), fixture.length];
        if (recordEnds.includes(length))
          expect(parsePcap(fixture.subarray(0, length), 'a.pcap').packets).toHaveLength(
            recordEnds.indexOf(length),
          );
        else expect(cut(length)).toMatch(/^a\.pcap is truncated in /);
      }
    });
  });

  describe('refuses to write a capture it could not read back', () => {
    const write = (capture: CaptureToWrite) => messageOf(() => writePcap(capture));
    const packet = { timestampMicros: 0, data: Uint8Array.of(1, 2, 3) };

    it('naming the packet at fault', () => {
      const second = (change: object) =>
        write({ linkType: 1, snapLength: 10, packets: [packet, { ...packet, ...change }] });
      expect(second({ timestampMicros: -1 })).toBe(
        "cannot write packet 1: its timestampMicros -1 is not a whole number of microseconds from 0 to before 2106-02-07T06:28:16Z, as pcap's u32 seconds hold",
      );
      expect(second({ timestampMicros: 2 ** 32 * 1e6 })).toContain(
        'cannot write packet 1: its timestampMicros 4294967296000000 is not a whole number',
      );
      expect(second({ timestampMicros: 1.5 })).toContain(
        'cannot write packet 1: its timestampMicros 1.5',
      );
      expect(second({ data: new Uint8Array(11) })).toBe(
        "cannot write packet 1: its 11 bytes of data are more than the capture's snapLength of 10",
      );
      expect(second({ originalLength: 2 })).toBe(
        'cannot write packet 1: its originalLength 2 is not a whole number from its 3 bytes of data to 4294967295',
      );
      expect(second({ originalLength: 2 ** 32 })).toContain('its originalLength 4294967296 is not');
    });

    it('or the header at fault', () => {
      expect(write({ linkType: 0x10000, snapLength: 10, packets: [] })).toBe(
        'cannot write a capture of linkType 65536: it must be a whole number from 0 to 65535',
      );
      expect(write({ linkType: 1, snapLength: -1, packets: [] })).toBe(
        'cannot write a capture of snapLength -1: it must be a whole number from 0 to 4294967295',
      );
    });
  });
});
