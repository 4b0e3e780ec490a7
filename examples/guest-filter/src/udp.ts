import type { CapturedPacket } from '@chronovisor/plugin-guest-leverage';

/**
 * The UDP payload of an Ethernet/IPv4 frame, or undefined for anything else: the part of a packet
 * the host's network stack would hand up, and the chain sees first.
 */
export function udpPayload(packet: CapturedPacket): Uint8Array | undefined {
  const frame = packet.data;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 14 || view.getUint16(12) !== 0x0800) return undefined; // not IPv4
  const ip = 14;
  const headerBytes = (frame[ip]! & 0x0f) * 4;
  if (frame[ip + 9] !== 17 || frame.length < ip + headerBytes + 8) return undefined; // not UDP
  const udp = ip + headerBytes;
  const length = view.getUint16(udp + 4);
  return frame.slice(udp + 8, udp + length);
}
