export * from './api';
export { ApiInputError, Params } from './api-input';
export { RunApi, storedRunSource, type RunSource, type StoredRunRecords } from './run-api';
export { OverviewScan, type Outline } from './overview-scan';
export {
  startUiServer,
  LOOPBACK,
  PAGE_ASSETS,
  type UiServer,
  type UiServerOptions,
} from './http-server';
