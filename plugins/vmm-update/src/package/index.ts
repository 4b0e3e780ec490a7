export {
  ED25519_KEY_BYTES,
  ED25519_PKCS8_PREFIX,
  ED25519_SPKI_PREFIX,
  privateKeyFromSeed,
  publicKeyFromHex,
  publicKeyToHex,
} from './keys';
export {
  MAX_HYPERCALLS,
  MAX_KEY_ID_BYTES,
  MAX_PAYLOAD_BYTES,
  SIGNATURE_BYTES,
  UPDATE_FORMAT,
  updateManifestSchema,
  updatePackageSchema,
  type UpdateManifest,
  type UpdatePackage,
} from './manifest';
export { decodePackage, encodePackage } from './package-file';
export { describePayload, signPackage, signedBytes } from './sign-package';
export { PackageRefused, UpdateKeyError, type RefusalReason } from './update-error';
export { verifyPackage, type VerifyContext } from './verify-package';
