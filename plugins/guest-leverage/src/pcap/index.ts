export {
  LINKTYPE_ETHERNET,
  type Capture,
  type CaptureToWrite,
  type CapturedPacket,
  type PacketToWrite,
} from './capture';
export { parsePcap } from './parse-pcap';
export { PcapError } from './pcap-error';
export { writePcap } from './write-pcap';
