import { globalOverlayPlugin } from './global-overlay-plugin';

export * from './global-overlay-plugin';
export * from './overlay-commands';
export * from './overlay-events';
export { OverlayError } from './overlay-error';
export * from './overlay-options';
export * from './overlay-query';
export type { Program, Slot, Version } from './overlay-state';
export * from './elf';
/** What `chronovisor run --config` loads. */
export default globalOverlayPlugin;
