export {
  CHECKPOINT_FORMAT,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  checkpointImageSchema,
  type CheckpointImage,
  type CheckpointMemoryRun,
  type CheckpointProcess,
  type CheckpointResource,
} from './checkpoint-image';
export {
  readCheckpointFile,
  writeCheckpointFile,
  type ReadCheckpointOptions,
  type WriteCheckpointOptions,
} from './checkpoint-file';
export { decodeCheckpoint } from './decode-checkpoint';
export { encodeCheckpoint } from './encode-checkpoint';
export { CheckpointImageError } from './image-error';
export { Keyring, type KeyringKey } from './keyring';
export { frameChecksum } from './layout';
export { SEALED_FORMAT, isSealed, sealCheckpoint, unsealCheckpoint } from './seal';
