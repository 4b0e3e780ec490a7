export { default as guestFilter, CAPTURE, FILTER_CHAIN, replayCapture } from './scenario';
export * from './udp';
