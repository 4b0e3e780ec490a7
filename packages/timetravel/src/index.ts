export * from './breakpoint';
export * from './timeline';
export * from './diff';
export * from './provenance';
export * from './kept-snapshots';
export {
  frameEffectsOf,
  type FrameEffects,
  type Place,
  type Touch,
  type TrailReading,
} from './byte-trail';
export { SnapshotDataError } from './snapshot-codec';
