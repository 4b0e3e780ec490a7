import { guestLeveragePlugin } from './guest-leverage-plugin';

export * from './guest-leverage-plugin';
export * from './leverage-commands';
export * from './leverage-events';
export { LeverageError } from './leverage-error';
export * from './leverage-query';
export type { Chain, ChainCounts, RingItem } from './leverage-state';
export * from './modules';
export * from './chain-pipeline';
export * from './verdict-diff';
export * from './pcap';
/** What `chronovisor run --config` loads. */
export default guestLeveragePlugin;
