import { checkpointPlugin } from './checkpoint-plugin';

export * from './checkpoint-plugin';
export * from './proc-commands';
export * from './proc-events';
export { ProcError } from './proc-error';
export * from './proc-options';
export * from './proc-query';
export type { Process, ProcCounts, Resource } from './proc-state';
export { InjectedFailure } from './restorer';
export * from './image';
/** What `chronovisor run --config` loads. */
export default checkpointPlugin;
