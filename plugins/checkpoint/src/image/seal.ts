/*
 * Sealed checkpoints (US20080195740A1): a checkpoint image handed to an untrusted holder in a
 * form it can neither read nor alter. The plain image's bytes (encode-checkpoint.ts) encrypted
 * with AES-256-GCM under the keyring's current key. FORMAT.md says the same at more length.
 *
 * Little-endian throughout; K is the key id's length in bytes, C the ciphertext's:
 *
 *   offset   size   what
 *   0        8      magic "CVSEAL\0\0"
 *   8        4      format u32 (= 1)
 *   12       1      key id length K u8 (1..255)
 *   13       K      key id, UTF-8
 *   13+K     12     nonce: GCM's IV, from the caller
 *   25+K     4      ciphertext length C u32 (the plain image's length)
 *   29+K     C      ciphertext: the plain image encrypted
 *   29+K+C   16     GCM tag
 *
 * The additional authenticated data is every byte before the ciphertext (magic, format, key id,
 * nonce and length), so that none of it can be changed either: an image sealed under one key id
 * cannot be passed off as sealed under another. The nonce comes from the caller so that sealing is
 * deterministic where it must be (a simulation derives it from its seeded Rng); it must never
 * repeat under one key, as GCM's IVs must not.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { CheckpointImage } from './checkpoint-image';
import { decodeCheckpoint } from './decode-checkpoint';
import { encodeCheckpoint } from './encode-checkpoint';
import { CheckpointImageError } from './image-error';
import type { Keyring } from './keyring';
import {
  CIPHERTEXT_LENGTH_BYTES,
  MAGIC,
  NONCE_BYTES,
  SEAL_FORMAT_AT,
  SEAL_KEY_ID_AT,
  SEAL_KEY_ID_LENGTH_AT,
  SEAL_MAGIC,
  TAG_BYTES,
  U32_MAX,
  hexBytes,
  need,
  startsWith,
} from './layout';

/** The sealed format this code writes and reads. */
export const SEALED_FORMAT = 1;

/**
 * `image` sealed under the keyring's current key: encoded (and so checked) as a plain image, then
 * encrypted with AES-256-GCM, its key id and the nonce authenticated with it. `nonce` is the IV,
 * 12 bytes, which must not repeat under one key; equal inputs give equal bytes.
 */
export function sealCheckpoint(
  image: CheckpointImage,
  keyring: Keyring,
  nonce: Uint8Array,
): Uint8Array {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES)
    throw new CheckpointImageError(
      `cannot seal with a nonce of ${nonce instanceof Uint8Array ? nonce.length : 'no'} bytes: AES-GCM's nonce is ${NONCE_BYTES}`,
    );
  const plain = encodeCheckpoint(image);
  if (plain.length > U32_MAX)
    throw new CheckpointImageError(
      `cannot seal a checkpoint of ${plain.length} bytes: its length does not fit the sealed header's 32 bits`,
    );
  const id = keyring.current;
  const idBytes = Buffer.from(id, 'utf8');
  const aad = Buffer.alloc(SEAL_KEY_ID_AT + idBytes.length + NONCE_BYTES + CIPHERTEXT_LENGTH_BYTES);
  aad.set(SEAL_MAGIC, 0);
  aad.writeUInt32LE(SEALED_FORMAT, SEAL_FORMAT_AT);
  aad.writeUInt8(idBytes.length, SEAL_KEY_ID_LENGTH_AT);
  aad.set(idBytes, SEAL_KEY_ID_AT);
  aad.set(nonce, SEAL_KEY_ID_AT + idBytes.length);
  aad.writeUInt32LE(plain.length, SEAL_KEY_ID_AT + idBytes.length + NONCE_BYTES);

  const cipher = createCipheriv('aes-256-gcm', keyring.keyFor(id), nonce, {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return new Uint8Array(Buffer.concat([aad, ciphertext, cipher.getAuthTag()]));
}

/**
 * The image sealed in `sealed`: its header checked, its key looked up in `keyring` (a retired
 * one is a replay), its bytes authenticated and decrypted, then decoded and checked as a plain
 * image. `source` names the file in messages. Throws a {@link CheckpointImageError}.
 */
export function unsealCheckpoint(
  sealed: Uint8Array,
  keyring: Keyring,
  source: string,
): CheckpointImage {
  const parts = readSealed(sealed, source);
  const { keyId } = parts;
  if (keyring.isRetired(keyId))
    throw new CheckpointImageError(
      `${source} was sealed under key ${JSON.stringify(keyId)}, retired by rotation: a replay of an old checkpoint`,
    );
  let key: Uint8Array;
  try {
    key = keyring.keyFor(keyId);
  } catch {
    throw new CheckpointImageError(
      `${source} was sealed under key ${JSON.stringify(keyId)}, which the keyring does not hold`,
    );
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(parts.aad);
    decipher.setAuthTag(parts.tag);
    plain = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch {
    throw new CheckpointImageError(
      `${source} fails authentication: it was altered, or sealed with another key under the same id`,
    );
  }
  return decodeCheckpoint(new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength), source);
}

/** Whether `bytes` are a sealed checkpoint (by their magic), rather than a plain one. */
export function isSealed(bytes: Uint8Array): boolean {
  return startsWith(bytes, SEAL_MAGIC);
}

/** The parts of a sealed checkpoint, each checked to be whole. */
interface SealedParts {
  readonly keyId: string;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/**
 * The parts of a sealed checkpoint, checked for all that can be without its key: the magic, the
 * format, the key id, and a length that is exactly what the header says.
 */
export function readSealed(bytes: Uint8Array, source: string): SealedParts {
  if (startsWith(bytes, MAGIC))
    throw new CheckpointImageError(
      `${source} is a plain checkpoint, not a sealed one: its holder could read and alter it`,
    );
  const start = bytes.subarray(0, SEAL_MAGIC.length);
  if (!start.every((byte, i) => byte === SEAL_MAGIC[i]))
    throw new CheckpointImageError(
      `${source} is not a sealed Chronovisor checkpoint: it starts with ${hexBytes(start)}, not the magic "CVSEAL\\0\\0"`,
    );
  need(bytes, source, 'its header', 0, SEAL_KEY_ID_AT);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(SEAL_FORMAT_AT, true);
  if (format > SEALED_FORMAT)
    throw new CheckpointImageError(
      `${source} is in sealed format ${format}, written by a newer Chronovisor: this one reads format ${SEALED_FORMAT} only`,
    );
  if (format !== SEALED_FORMAT)
    throw new CheckpointImageError(
      `${source} has an unknown sealed format ${format} (at byte ${SEAL_FORMAT_AT}): this Chronovisor reads format ${SEALED_FORMAT} only`,
    );
  const idLength = view.getUint8(SEAL_KEY_ID_LENGTH_AT);
  if (idLength === 0)
    throw new CheckpointImageError(
      `${source} names no key: its key id length is 0 (at byte ${SEAL_KEY_ID_LENGTH_AT})`,
    );
  need(bytes, source, 'its key id', SEAL_KEY_ID_AT, idLength);
  let keyId: string;
  try {
    keyId = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(SEAL_KEY_ID_AT, SEAL_KEY_ID_AT + idLength),
    );
  } catch {
    throw new CheckpointImageError(
      `${source} names its key in bytes that are not UTF-8 (at byte ${SEAL_KEY_ID_AT})`,
    );
  }
  const nonceAt = SEAL_KEY_ID_AT + idLength;
  need(bytes, source, 'its nonce', nonceAt, NONCE_BYTES);
  const lengthAt = nonceAt + NONCE_BYTES;
  need(bytes, source, 'its header', lengthAt, CIPHERTEXT_LENGTH_BYTES, 'the ciphertext length');
  const length = view.getUint32(lengthAt, true);
  const ciphertextAt = lengthAt + CIPHERTEXT_LENGTH_BYTES;
  const tagAt = ciphertextAt + length;
  const end = tagAt + TAG_BYTES;
  if (bytes.length > end)
    throw new CheckpointImageError(
      `${source} has ${bytes.length - end} bytes after its GCM tag (at byte ${end}): the file should end there`,
    );
  need(bytes, source, 'its ciphertext', ciphertextAt, length);
  need(bytes, source, 'its GCM tag', tagAt, TAG_BYTES);
  return {
    keyId,
    nonce: bytes.subarray(nonceAt, lengthAt),
    aad: bytes.subarray(0, ciphertextAt),
    ciphertext: bytes.subarray(ciphertextAt, tagAt),
    tag: bytes.subarray(tagAt, end),
  };
}
