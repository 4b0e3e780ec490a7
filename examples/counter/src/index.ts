import { counterPlugin } from './counter-plugin';

export * from './counter-contract';
export * from './counter-handlers';
export * from './counter-plugin';
export * from './counter-state';
export { runCounterDemo } from './demo';
/** What `chronovisor run --config` loads. */
export default counterPlugin;
