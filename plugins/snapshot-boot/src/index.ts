import { snapshotBootPlugin } from './snapshot-boot-plugin';

export * from './boot-options';
export * from './snapshot-commands';
export * from './snapshot-events';
export * from './cache-events';
export { SnapshotError } from './snapshot-error';
export * from './snapshot-boot-plugin';
export * from './snapshot-query';
export type { BootedVm, CodeCacheVersion, StoredImage } from './snapshot-state';
export { SnapshotSummaryLines } from './snapshot-summary-lines';
export { SnapshotView } from './snapshot-view';
export { GuestMemory } from './guest-memory';
export * from './image';
/** What `chronovisor run --config` loads. */
export default snapshotBootPlugin;
