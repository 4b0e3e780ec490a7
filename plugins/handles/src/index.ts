import { handlesPlugin } from './handles-plugin';

export * from './handles-commands';
export * from './handles-events';
export { HandlesError } from './handles-error';
export {
  ENTRY_BYTES,
  HandlesConfig,
  HandlesOptions,
  POINTER_BYTES,
  REUSE_POLICIES,
  handlesOptionsSchema,
  type ReusePolicy,
} from './handles-options';
export type { TableCounters } from './handle-table';
export * from './handles-plugin';
export * from './handles-query';
export { HandlesSummaryLines } from './handles-summary-lines';
export { HandlesView } from './handles-view';
export { handleOf, identifierOf, indexOf, type TableLayout } from './table-layout';
export * from './handles-client';
export * from './interleavings';
/** What `chronovisor run --config` loads. */
export default handlesPlugin;
