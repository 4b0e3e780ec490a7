import { counterPlugin } from './counter-plugin';

export * from './counter-contract';
export * from './counter-handlers';
export * from './counter-plugin';
export * from './counter-state';
/** What `chronovisor run --config` loads: the plugin's factory. */
export default counterPlugin;
