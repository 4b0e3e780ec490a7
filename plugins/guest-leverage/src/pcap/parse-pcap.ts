import type { Capture, CapturedPacket } from './capture';
import {
  FRACTION_AT,
  GLOBAL_HEADER_BYTES,
  INCL_LEN_AT,
  LINK_TYPE_MASK,
  MAGIC_MICROS,
  MAGIC_NANOS,
  MAGIC_PCAPNG,
  MICROS_PER_SECOND,
  NANOS_PER_SECOND,
  NETWORK_AT,
  ORIG_LEN_AT,
  RECORD_HEADER_BYTES,
  SNAPLEN_AT,
  VERSION_AT,
  VERSION_MAJOR,
  VERSION_MINOR,
  hexBytes,
} from './layout';
import { PcapError } from './pcap-error';

/** How a file's magic says to read the rest of it. */
interface Flavour {
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
}

/**
 * The four magics, keyed by their first 4 bytes read little-endian: a file written on a
 * big-endian machine shows its magic swapped, and that is how its byte order is known.
 */
const FLAVOURS = new Map<number, Flavour>([
  [MAGIC_MICROS, { littleEndian: true, nanosecond: false }],
  [swap32(MAGIC_MICROS), { littleEndian: false, nanosecond: false }],
  [MAGIC_NANOS, { littleEndian: true, nanosecond: true }],
  [swap32(MAGIC_NANOS), { littleEndian: false, nanosecond: true }],
]);

/**
 * Parses a whole classic pcap capture (either byte order, µs or ns timestamps), checking every
 * record as it goes. `source` names the file in messages; the caller reads the file, so this
 * works as well on bytes that never were one. Throws a {@link PcapError} saying what is wrong,
 * at which byte, and, where a packet's record is at fault, which packet.
 */
export function parsePcap(bytes: Uint8Array, source: string): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { littleEndian, nanosecond } = readMagic(bytes, view, source);
  need(bytes, source, 'its global header', 0, GLOBAL_HEADER_BYTES);
  const major = view.getUint16(VERSION_AT, littleEndian);
  const minor = view.getUint16(VERSION_AT + 2, littleEndian);
  if (major !== VERSION_MAJOR || minor !== VERSION_MINOR)
    throw new PcapError(
      `${source} is pcap version ${major}.${minor} (at byte ${VERSION_AT}): only version ${VERSION_MAJOR}.${VERSION_MINOR} is read`,
    );
  // thiszone and sigfigs are left unread: writers put 0 in both, and timestamps are UTC anyway.
  const snapLength = view.getUint32(SNAPLEN_AT, littleEndian);
  const linkType = view.getUint32(NETWORK_AT, littleEndian) & LINK_TYPE_MASK;

  const perSecond = nanosecond ? NANOS_PER_SECOND : MICROS_PER_SECOND;
  const fractionName = nanosecond ? 'ts_nsec' : 'ts_usec';
  const packets: CapturedPacket[] = [];
  for (let at = GLOBAL_HEADER_BYTES; at < bytes.length;) {
    const index = packets.length;
    need(bytes, source, `packet ${index}'s record header`, at, RECORD_HEADER_BYTES);
    const seconds = view.getUint32(at, littleEndian);
    const fraction = view.getUint32(at + FRACTION_AT, littleEndian);
    const included = view.getUint32(at + INCL_LEN_AT, littleEndian);
    const original = view.getUint32(at + ORIG_LEN_AT, littleEndian);
    const packet = `packet ${index} of ${source}`;
    if (fraction >= perSecond)
      throw new PcapError(
        `${packet} has a ${fractionName} of ${fraction} (at byte ${at + FRACTION_AT}): a fraction of a second must be below ${perSecond}`,
      );
    if (included > original)
      throw new PcapError(
        `${packet} has an incl_len of ${included} (at byte ${at + INCL_LEN_AT}), more than its orig_len of ${original}: no more bytes can be captured than the packet had`,
      );
    // Checked before the data is looked for: a wild incl_len is damage to the record header,
    // and would otherwise be reported as a file cut short.
    if (included > snapLength)
      throw new PcapError(
        `${packet} has an incl_len of ${included} (at byte ${at + INCL_LEN_AT}), more than the file's snaplen of ${snapLength} (at byte ${SNAPLEN_AT})`,
      );
    const dataAt = at + RECORD_HEADER_BYTES;
    need(bytes, source, `packet ${index}'s data`, dataAt, included);
    packets.push({
      index,
      // Exact as a number: at most 2^32 seconds of 10^6 µs each, well within 2^53.
      timestampMicros:
        seconds * MICROS_PER_SECOND + (nanosecond ? Math.floor(fraction / 1000) : fraction),
      // A copy, so that the capture neither pins the file's buffer nor changes with it.
      data: bytes.slice(dataAt, dataAt + included),
      originalLength: original,
    });
    at = dataAt + included;
  }
  return { linkType, snapLength, nanosecond, packets };
}

/**
 * The byte order and timestamp unit the magic says. A file shorter than a magic that begins like
 * one is left to be reported as a truncated global header, which is what it is.
 */
function readMagic(bytes: Uint8Array, view: DataView, source: string): Flavour {
  if (bytes.length >= 4) {
    const flavour = FLAVOURS.get(view.getUint32(0, true));
    if (flavour) return flavour;
  } else if (
    [...FLAVOURS.keys()].some((magic) =>
      bytes.every((byte, i) => byte === ((magic >>> (8 * i)) & 0xff)),
    )
  )
    // Any flavour will do: the global header's length check that follows refuses the file.
    return { littleEndian: true, nanosecond: false };
  const start = bytes.subarray(0, 4);
  if (bytes.length >= 4 && view.getUint32(0, true) === MAGIC_PCAPNG)
    throw new PcapError(
      `${source} is a pcapng file (it starts with ${hexBytes(start)}), which is not supported: only classic pcap is read, so convert it first (editcap -F pcap)`,
    );
  throw new PcapError(
    `${source} is not a pcap capture: it starts with ${hexBytes(start)}, not a pcap magic (0x${MAGIC_MICROS.toString(16)} or 0x${MAGIC_NANOS.toString(16)}, in either byte order)`,
  );
}

/** Refuses a file too short to hold `length` bytes of `part` at `offset`. */
function need(
  bytes: Uint8Array,
  source: string,
  part: string,
  offset: number,
  length: number,
): void {
  const found = Math.max(0, bytes.length - offset);
  if (found < length)
    throw new PcapError(
      `${source} is truncated in ${part} (at byte ${offset}): expected ${length} bytes, found ${found}`,
    );
}

/** `value` with its 4 bytes in the other order: a magic as the other byte order shows it. */
function swap32(value: number): number {
  return (
    (((value & 0xff) << 24) |
      (((value >>> 8) & 0xff) << 16) |
      (((value >>> 16) & 0xff) << 8) |
      (value >>> 24)) >>>
    0
  );
}
