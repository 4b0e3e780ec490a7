import type { CaptureToWrite } from './capture';
import {
  FRACTION_AT,
  GLOBAL_HEADER_BYTES,
  INCL_LEN_AT,
  LINK_TYPE_MASK,
  MAGIC_MICROS,
  MICROS_PER_SECOND,
  NETWORK_AT,
  ORIG_LEN_AT,
  RECORD_HEADER_BYTES,
  SNAPLEN_AT,
  U32_MAX,
  VERSION_AT,
  VERSION_MAJOR,
  VERSION_MINOR,
} from './layout';
import { PcapError } from './pcap-error';

/**
 * Writes `capture` as a classic pcap file: little-endian, microsecond magic 0xa1b2c3d4, version
 * 2.4, thiszone and sigfigs 0, as tcpdump writes on x86. For tests, and for users making their
 * own captures. Refuses, with a {@link PcapError} naming the packet, a capture that
 * {@link parsePcap} would refuse or read back differently, before writing anything.
 */
export function writePcap(capture: CaptureToWrite): Uint8Array {
  const { linkType, snapLength, packets } = capture;
  if (!isWhole(linkType, LINK_TYPE_MASK))
    throw new PcapError(
      `cannot write a capture of linkType ${linkType}: it must be a whole number from 0 to ${LINK_TYPE_MASK}`,
    );
  if (!isWhole(snapLength, U32_MAX))
    throw new PcapError(
      `cannot write a capture of snapLength ${snapLength}: it must be a whole number from 0 to ${U32_MAX}`,
    );
  packets.forEach((packet, i) => {
    const { timestampMicros, data } = packet;
    const originalLength = packet.originalLength ?? data.length;
    const problem = !isWhole(timestampMicros, (U32_MAX + 1) * MICROS_PER_SECOND - 1)
      ? `its timestampMicros ${timestampMicros} is not a whole number of microseconds from 0 to before 2106-02-07T06:28:16Z, as pcap's u32 seconds hold`
      : data.length > snapLength
        ? `its ${data.length} bytes of data are more than the capture's snapLength of ${snapLength}`
        : !isWhole(originalLength, U32_MAX) || originalLength < data.length
          ? `its originalLength ${originalLength} is not a whole number from its ${data.length} bytes of data to ${U32_MAX}`
          : undefined;
    if (problem) throw new PcapError(`cannot write packet ${i}: ${problem}`);
  });

  const size = packets.reduce(
    (sum, p) => sum + RECORD_HEADER_BYTES + p.data.length,
    GLOBAL_HEADER_BYTES,
  );
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC_MICROS, true);
  view.setUint16(VERSION_AT, VERSION_MAJOR, true);
  view.setUint16(VERSION_AT + 2, VERSION_MINOR, true);
  view.setUint32(SNAPLEN_AT, snapLength, true);
  view.setUint32(NETWORK_AT, linkType, true);
  let at = GLOBAL_HEADER_BYTES;
  for (const { timestampMicros, data, originalLength } of packets) {
    view.setUint32(at, Math.floor(timestampMicros / MICROS_PER_SECOND), true);
    view.setUint32(at + FRACTION_AT, timestampMicros % MICROS_PER_SECOND, true);
    view.setUint32(at + INCL_LEN_AT, data.length, true);
    view.setUint32(at + ORIG_LEN_AT, originalLength ?? data.length, true);
    bytes.set(data, at + RECORD_HEADER_BYTES);
    at += RECORD_HEADER_BYTES + data.length;
  }
  return bytes;
}

/** Whether `value` is an integer from 0 to `max`: what a field of the file can hold. */
function isWhole(value: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= max;
}
