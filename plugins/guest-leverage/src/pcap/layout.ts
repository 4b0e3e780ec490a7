/*
 * The fixed layout of a classic libpcap file (the format `tcpdump -w` writes; see
 * https://www.tcpdump.org/manpages/pcap-savefile.5.html), shared by the reader and the writer so
 * that the two cannot disagree. Every number is in the byte order the magic was written in.
 */

/** The magic of microsecond captures, and of nanosecond ones, as a u32 in the file's order. */
export const MAGIC_MICROS = 0xa1b2c3d4;
export const MAGIC_NANOS = 0xa1b23c4d;
/** The first 4 bytes of a pcapng file (its Section Header Block type): the same either way round. */
export const MAGIC_PCAPNG = 0x0a0d0d0a;

/** The only version read and written: 2.4, unchanged since 1998. */
export const VERSION_MAJOR = 2;
export const VERSION_MINOR = 4;

/**
 * Magic u32, version major u16, minor u16, thiszone i32, sigfigs u32, snaplen u32, network u32.
 */
export const GLOBAL_HEADER_BYTES = 24;
export const VERSION_AT = 4;
export const SNAPLEN_AT = 16;
export const NETWORK_AT = 20;

/** ts_sec u32, ts_usec (or ts_nsec) u32, incl_len u32, orig_len u32; then incl_len bytes. */
export const RECORD_HEADER_BYTES = 16;
export const FRACTION_AT = 4;
export const INCL_LEN_AT = 8;
export const ORIG_LEN_AT = 12;

export const MICROS_PER_SECOND = 1_000_000;
export const NANOS_PER_SECOND = 1_000_000_000;
/** The largest u32, as ts_sec, snaplen, incl_len and orig_len may hold. */
export const U32_MAX = 2 ** 32 - 1;
/**
 * The link type is the network field's low 16 bits: the high ones may say whether frames carry
 * their FCS and how long it is (libpcap's LT_LINKTYPE), which is no part of the type.
 */
export const LINK_TYPE_MASK = 0xffff;

/** `0x0a0d0d0a`: bytes as messages show them, in file order; `nothing` for none. */
export function hexBytes(bytes: Uint8Array): string {
  return bytes.length === 0
    ? 'nothing'
    : `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
