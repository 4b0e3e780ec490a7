import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { UpdateKeyError } from './update-error';

/** Bytes of a raw Ed25519 key, public or private (the seed). */
export const ED25519_KEY_BYTES = 32;
/** DER of an Ed25519 public key's SubjectPublicKeyInfo up to the raw key (RFC 8410). */
export const ED25519_SPKI_PREFIX: Buffer = Buffer.from('302a300506032b6570032100', 'hex');
/** DER of an Ed25519 private key's PKCS#8 up to the raw seed (RFC 8410). */
export const ED25519_PKCS8_PREFIX: Buffer = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The Ed25519 public key whose raw 32 bytes `hex` spells (64 hex digits), as users give the
 * plugin's options their publishers' keys. Throws an {@link UpdateKeyError} naming the string.
 */
export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new UpdateKeyError(
      `${JSON.stringify(hex)} is not an Ed25519 public key: expected 64 hex digits (32 bytes), found ${describe(hex)}`,
    );
  const raw = Buffer.from(hex, 'hex');
  try {
    return createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
      format: 'der',
      type: 'spki',
    });
  } catch (error) {
    throw new UpdateKeyError(
      `${JSON.stringify(hex)} is not an Ed25519 public key: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The raw 32 bytes of an Ed25519 public key in lowercase hex, as `publicKeyFromHex` reads them. */
export function publicKeyToHex(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  checkEd25519(publicKey, 'a public key');
  return publicKey
    .export({ format: 'der', type: 'spki' })
    .subarray(-ED25519_KEY_BYTES)
    .toString('hex');
}

/**
 * The Ed25519 private key of a 32-byte seed (RFC 8032's secret key): a fixed key for tools,
 * scenarios and tests whose signatures must come out the same each run. Keep real seeds secret.
 */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_KEY_BYTES)
    throw new UpdateKeyError(
      `an Ed25519 seed has ${ED25519_KEY_BYTES} bytes, but this one has ${seed.length}`,
    );
  return createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** Throws unless `key` is an Ed25519 key; `what` names its use in the message. */
export function checkEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new UpdateKeyError(
      `${what} must be an Ed25519 key, but this one is ${key.asymmetricKeyType ?? `a ${key.type} key`}`,
    );
}

function describe(text: string): string {
  const count = text.length;
  const nonHex = /[^0-9a-fA-F]/.exec(text);
  if (nonHex)
    return `${JSON.stringify(nonHex[0])} at character ${nonHex.index} (of ${count} characters)`;
  return `${count} hex ${count === 1 ? 'digit' : 'digits'}`;
}
