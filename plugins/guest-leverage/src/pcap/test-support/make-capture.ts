/*
 * Builds fixtures/mixed.pcap, a small real capture for the host NIC's input, and writes it:
 *
 *   node -r ./register-src.js plugins/guest-leverage/src/pcap/test-support/make-capture.ts
 *
 * Run once to make the fixture; it refuses to overwrite it, so delete the file first to remake it
 * on purpose. Imported, it writes nothing: tests read MIXED_PACKETS to know what the file holds,
 * and check the file against it field by field rather than against a fresh build, since another
 * zlib may deflate the same text to other (equally valid) bytes.
 *
 * The file: classic pcap, little-endian, µs timestamps (magic 0xa1b2c3d4), version 2.4, snaplen
 * 65535, link type 1 (Ethernet). 12 packets, none snapped (orig_len = incl_len), each an Ethernet
 * II frame 02:00:00:00:00:01 → 02:00:00:00:00:02 (EtherType 0x0800, no padding, no FCS) holding
 * an IPv4 packet 192.168.1.10 → 192.168.1.20 (20-byte header, no options, DF, TTL 64,
 * identification 0x1000 + i, correct header checksum) holding a UDP datagram from port 50000 + i
 * to port 9000 (correct UDP checksum, over the IPv4 pseudo header). Packet i is captured at
 * 1_700_000_000_000_000 + i * 250_013 µs (from 2023-11-14T22:13:20Z, a quarter second apart).
 *
 * The UDP payloads, by kind:
 *   text     the text's UTF-8 bytes;
 *   deflate  the text's UTF-8 bytes compressed with raw deflate (zlib.deflateRawSync, no zlib or
 *            gzip header), so a scan of the bytes does not see the text;
 *   crc-ok   the text's UTF-8 bytes, then 4 bytes: their CRC-32 (zlib.crc32), big-endian;
 *   crc-bad  as crc-ok, but the CRC-32 has its lowest bit flipped: the check fails.
 *
 *    i  kind     text                                   contains "attack"
 *    0  text     GET /index.html                        no
 *    1  text     hello                                  no
 *    2  text     attack at dawn                         yes
 *    3  deflate  hello hello hello hello hello hello    no
 *    4  crc-ok   status=ok seq=1                        no
 *    5  crc-bad  status=ok seq=2                        no
 *    6  text     the attack is off                      yes
 *    7  deflate  deflated attack: drop every packet     yes (only once inflated)
 *    8  crc-ok   attack signed with a good crc          yes
 *    9  crc-bad  attack signed with a bad crc           yes
 *   10  deflate  GET /index.html                        no
 *   11  text     bye                                    no
 */
// eslint-disable-next-line no-restricted-syntax -- a script writing a fixture, not simulation code
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { LINKTYPE_ETHERNET, type CaptureToWrite } from '../capture';
import { writePcap } from '../write-pcap';

/** The checked-in capture that {@link mixedCapture} describes. */
export const MIXED_CAPTURE_FILE = path.join(__dirname, '../../../fixtures/mixed.pcap');

/** How a packet's UDP payload carries its text (see the comment atop this file). */
export type PayloadKind = 'text' | 'deflate' | 'crc-ok' | 'crc-bad';

/** One packet of the fixture: what its UDP payload is. */
export interface MixedPacket {
  readonly kind: PayloadKind;
  /** The text the payload carries: as it is, deflated, or followed by a CRC-32. */
  readonly text: string;
}

/** The fixture's packets, in file order: the table atop this file. Never change it. */
export const MIXED_PACKETS: readonly MixedPacket[] = [
  { kind: 'text', text: 'GET /index.html' },
  { kind: 'text', text: 'hello' },
  { kind: 'text', text: 'attack at dawn' },
  { kind: 'deflate', text: 'hello hello hello hello hello hello' },
  { kind: 'crc-ok', text: 'status=ok seq=1' },
  { kind: 'crc-bad', text: 'status=ok seq=2' },
  { kind: 'text', text: 'the attack is off' },
  { kind: 'deflate', text: 'deflated attack: drop every packet' },
  { kind: 'crc-ok', text: 'attack signed with a good crc' },
  { kind: 'crc-bad', text: 'attack signed with a bad crc' },
  { kind: 'deflate', text: 'GET /index.html' },
  { kind: 'text', text: 'bye' },
];

export const SNAP_LENGTH = 65535;
export const FIRST_TIMESTAMP_MICROS = 1_700_000_000_000_000;
export const TIMESTAMP_STEP_MICROS = 250_013;
export const SOURCE_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
export const DESTINATION_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);
export const SOURCE_IP = Uint8Array.of(192, 168, 1, 10);
export const DESTINATION_IP = Uint8Array.of(192, 168, 1, 20);
export const FIRST_SOURCE_PORT = 50000;
export const DESTINATION_PORT = 9000;

const ETHERNET_HEADER_BYTES = 14;
const IPV4_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;
const ETHERTYPE_IPV4 = 0x0800;
const PROTOCOL_UDP = 17;

/** The UDP payload of a packet of `kind` carrying `text`. */
export function payloadOf({ kind, text }: MixedPacket): Uint8Array {
  const utf8 = new Uint8Array(Buffer.from(text, 'utf8'));
  if (kind === 'text') return utf8;
  if (kind === 'deflate') return new Uint8Array(deflateRawSync(utf8));
  const payload = new Uint8Array(utf8.length + 4);
  payload.set(utf8);
  const crc = kind === 'crc-ok' ? crc32(utf8) : (crc32(utf8) ^ 1) >>> 0;
  new DataView(payload.buffer).setUint32(utf8.length, crc, false);
  return payload;
}

/** The fixture as {@link writePcap} takes it: the packets of {@link MIXED_PACKETS}, framed. */
export function mixedCapture(): CaptureToWrite {
  return {
    linkType: LINKTYPE_ETHERNET,
    snapLength: SNAP_LENGTH,
    packets: MIXED_PACKETS.map((packet, i) => ({
      timestampMicros: FIRST_TIMESTAMP_MICROS + i * TIMESTAMP_STEP_MICROS,
      data: frameOf(i, payloadOf(packet)),
    })),
  };
}

/** Ethernet II, IPv4 and UDP headers around `payload`, with both checksums right. */
function frameOf(i: number, payload: Uint8Array): Uint8Array {
  const udpLength = UDP_HEADER_BYTES + payload.length;
  const ipLength = IPV4_HEADER_BYTES + udpLength;
  const frame = new Uint8Array(ETHERNET_HEADER_BYTES + ipLength);
  const view = new DataView(frame.buffer);
  frame.set(DESTINATION_MAC, 0);
  frame.set(SOURCE_MAC, 6);
  view.setUint16(12, ETHERTYPE_IPV4);

  const ip = ETHERNET_HEADER_BYTES;
  frame[ip] = 0x45; // version 4, header of 5 words
  view.setUint16(ip + 2, ipLength);
  view.setUint16(ip + 4, 0x1000 + i);
  view.setUint16(ip + 6, 0x4000); // don't fragment
  frame[ip + 8] = 64;
  frame[ip + 9] = PROTOCOL_UDP;
  frame.set(SOURCE_IP, ip + 12);
  frame.set(DESTINATION_IP, ip + 16);
  view.setUint16(ip + 10, internetChecksum(frame.subarray(ip, ip + IPV4_HEADER_BYTES)));

  const udp = ip + IPV4_HEADER_BYTES;
  view.setUint16(udp, FIRST_SOURCE_PORT + i);
  view.setUint16(udp + 2, DESTINATION_PORT);
  view.setUint16(udp + 4, udpLength);
  frame.set(payload, udp + UDP_HEADER_BYTES);
  const pseudo = new Uint8Array(12 + udpLength);
  pseudo.set(SOURCE_IP, 0);
  pseudo.set(DESTINATION_IP, 4);
  pseudo[9] = PROTOCOL_UDP;
  new DataView(pseudo.buffer).setUint16(10, udpLength);
  pseudo.set(frame.subarray(udp), 12);
  // A computed 0 is sent as 0xffff: in UDP over IPv4, 0 means "no checksum".
  view.setUint16(udp + 6, internetChecksum(pseudo) || 0xffff);
  return frame;
}

/** RFC 1071: the ones' complement of the ones' complement sum of big-endian 16-bit words. */
function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Writes the fixture, refusing (by the `wx` flag, atomically) to replace one already there. */
function writeFixture(): void {
  const bytes = writePcap(mixedCapture());
  try {
    writeFileSync(MIXED_CAPTURE_FILE, bytes, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new Error(
      `${MIXED_CAPTURE_FILE} already exists: delete it first to remake it (and know why its bytes change)`,
      { cause: error },
    );
  }
  console.log(
    `wrote ${MIXED_CAPTURE_FILE}: ${MIXED_PACKETS.length} packets, ${bytes.length} bytes`,
  );
}

if (require.main === module) writeFixture();
