import { vmmUpdatePlugin } from './vmm-update-plugin';

export * from './vmm-update-plugin';
export * from './vmm-commands';
export * from './vmm-events';
export * from './service-commands';
export * from './service-events';
export type { Device, Maintenance } from './service-state';
export { VmmError } from './vmm-error';
export * from './vmm-options';
export * from './vmm-query';
export type { Guest, UpdateCounts, UpdateInFlight, Vmm } from './vmm-state';
export * from './package';
/** What `chronovisor run --config` loads. */
export default vmmUpdatePlugin;
