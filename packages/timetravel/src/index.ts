export * from './breakpoint';
export * from './timeline';
export * from './diff';
export * from './provenance';
export * from './kept-snapshots';
export { SnapshotDataError } from './snapshot-codec';
