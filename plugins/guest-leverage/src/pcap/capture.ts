/** LINKTYPE_ETHERNET: each packet is an Ethernet II frame, from its destination MAC on. */
export const LINKTYPE_ETHERNET = 1;

/** One packet of a capture, as its record in the file gives it. */
export interface CapturedPacket {
  /** 0-based, in file order. */
  readonly index: number;
  /**
   * Capture time: seconds and the fraction, as microseconds since the epoch (nanosecond files
   * divided by 1000, floored).
   */
  readonly timestampMicros: number;
  /** The bytes captured (may be fewer than the packet's original length, if the capture was snapped). */
  readonly data: Uint8Array;
  /** How long the packet was on the wire: `data.length`, or more where the capture was snapped. */
  readonly originalLength: number;
}

/** A whole classic pcap file: its global header's fields that matter, and its packets. */
export interface Capture {
  /** What each packet's data is, e.g. {@link LINKTYPE_ETHERNET} (1). */
  readonly linkType: number;
  /** The most bytes of a packet the capture kept. */
  readonly snapLength: number;
  /** Whether the file's timestamps were in nanoseconds (magic 0xa1b23c4d) rather than µs. */
  readonly nanosecond: boolean;
  readonly packets: readonly CapturedPacket[];
}

/** What {@link writePcap} writes: a capture as a test or a user makes one. */
export interface CaptureToWrite {
  readonly linkType: number;
  readonly snapLength: number;
  readonly packets: readonly PacketToWrite[];
}

/** A packet to write; its originalLength is its data's length unless said. */
export interface PacketToWrite {
  readonly timestampMicros: number;
  readonly data: Uint8Array;
  readonly originalLength?: number;
}
