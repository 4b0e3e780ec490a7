export { decodeImage } from './decode-image';
export { encodeImage } from './encode-image';
export { ImageError } from './image-error';
export { readImageFile, writeImageFile, type WriteImageOptions } from './image-file';
export { pageChecksum } from './layout';
export {
  IMAGE_FORMAT,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  imageManifestSchema,
  snapshotImageSchema,
  type ImageManifest,
  type ImagePage,
  type SnapshotImage,
} from './manifest';
