/*
 * The update package file format, version 1: how a package leaves the publisher's tools and
 * reaches a guest's updater (after US20080189697A1; Xen livepatch payloads). FORMAT.md says the
 * same at more length; a change here is a new format version, and the golden file test
 * (fixtures/golden-v1.cvupdt) fails until it is one.
 *
 * Little-endian throughout:
 *
 *   offset          size  what
 *   0               8     magic "CVUPDT\0\0"
 *   8               4     format u32 (= 1)
 *   12              4     manifest length M u32
 *   16              M     manifest: UTF-8 JSON, canonical (keys sorted, no whitespace)
 *   16+M            4     payload length P u32
 *   20+M            P     payload
 *   20+M+P          1     key id length K u8 (0: unsigned)
 *   21+M+P          K     key id, UTF-8
 *   21+M+P+K        64    Ed25519 signature of the manifest's canonical JSON (zeros: unsigned)
 *
 * No checksum of its own: the signature covers the manifest, and the manifest the payload
 * (its length and SHA-256), so `verifyPackage` finds any change that matters. Reading checks
 * only what it must to give back a package: the layout, and the manifest's schema.
 */
import { canonicalJson, parseJsonDocument } from '@chronovisor/core';
import {
  SIGNATURE_BYTES,
  UPDATE_FORMAT,
  describeIssues,
  updateManifestSchema,
  updatePackageSchema,
  type UpdateManifest,
  type UpdatePackage,
} from './manifest';
import { nameOf } from './sign-package';
import { PackageRefused } from './update-error';

/** The first 8 bytes of every package file: `CVUPDT` and two zero bytes. */
export const MAGIC: Uint8Array = Uint8Array.of(0x43, 0x56, 0x55, 0x50, 0x44, 0x54, 0, 0);
/** Magic, format u32, manifest length u32. */
const HEADER_BYTES = 16;
const FORMAT_AT = 8;
const MANIFEST_LENGTH_AT = 12;
/** The u32 before the payload and the u8 before the key id. */
const PAYLOAD_LENGTH_BYTES = 4;
const KEY_ID_LENGTH_BYTES = 1;
const U32_MAX = 2 ** 32 - 1;

/**
 * The bytes of a package file holding `pkg`. Its shape is checked first, as reading checks it,
 * so that every file written can be read back: a {@link PackageRefused} ('malformed') names the
 * field at fault. Neither its signature nor its payload is checked against the manifest: a
 * package is written as it is, and `verifyPackage` judges it when it arrives. An unsigned package
 * (its signature's value empty) is written with no key id and a signature of zeros.
 */
export function encodePackage(pkg: UpdatePackage): Uint8Array {
  const name = nameOf((pkg as Partial<UpdatePackage> | null | undefined)?.manifest);
  const checked = updatePackageSchema.safeParse(pkg);
  if (!checked.success)
    throw new PackageRefused(
      'malformed',
      `${name} cannot be encoded: ${describeIssues(checked.error.issues)}`,
    );
  const { manifest, payload, signature } = checked.data;
  const manifestBytes = Buffer.from(canonicalJson(manifest), 'utf8');
  if (manifestBytes.length > U32_MAX)
    throw new PackageRefused(
      'malformed',
      `${name} cannot be encoded: its manifest (${manifestBytes.length} bytes) does not fit the header's 32 bits`,
    );
  const signed = signature !== undefined && signature.value.length > 0;
  const keyId = signed ? Buffer.from(signature.keyId, 'utf8') : Buffer.alloc(0);

  const payloadAt = HEADER_BYTES + manifestBytes.length + PAYLOAD_LENGTH_BYTES;
  const keyIdAt = payloadAt + payload.length + KEY_ID_LENGTH_BYTES;
  const signatureAt = keyIdAt + keyId.length;
  const out = new Uint8Array(signatureAt + SIGNATURE_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(FORMAT_AT, UPDATE_FORMAT, true);
  view.setUint32(MANIFEST_LENGTH_AT, manifestBytes.length, true);
  out.set(manifestBytes, HEADER_BYTES);
  view.setUint32(payloadAt - PAYLOAD_LENGTH_BYTES, payload.length, true);
  out.set(payload, payloadAt);
  view.setUint8(keyIdAt - KEY_ID_LENGTH_BYTES, keyId.length);
  out.set(keyId, keyIdAt);
  if (signed) out.set(signature.value, signatureAt);
  return out;
}

/**
 * Reads a package file's bytes (the layout atop this file), checking its layout and its
 * manifest's schema, not its signature or payload (`verifyPackage` does). `source` names the file
 * in messages. Throws a {@link PackageRefused} ('malformed') saying what is wrong and where: the
 * part (header, manifest, payload, key id, signature) and its byte offset, the manifest field.
 */
export function decodePackage(bytes: Uint8Array, source: string): UpdatePackage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = new Reader(bytes, view, source);
  read.header();
  const manifestLength = view.getUint32(MANIFEST_LENGTH_AT, true);
  const manifest = readManifest(read.take('its manifest', manifestLength), source);
  const payloadLength = read.u32('its payload length');
  const payload = new Uint8Array(read.take('its payload', payloadLength));
  const keyIdAt = read.at;
  const keyIdLength = read.u8('its key id length');
  const keyId = readKeyId(read.take('its key id', keyIdLength), source, keyIdAt + 1);
  const signatureAt = read.at;
  const value = read.take('its signature', SIGNATURE_BYTES);
  if (read.at < bytes.length)
    throw malformed(
      `${source} has ${bytes.length - read.at} bytes after its signature (at byte ${read.at}): the file should end there`,
    );
  if (keyId === '') {
    if (value.some((byte) => byte !== 0))
      throw malformed(
        `${source} has a signature (at byte ${signatureAt}) but no key id (its length, at byte ${keyIdAt}, is 0)`,
      );
    return { manifest, payload, signature: { keyId, value: new Uint8Array(0) } };
  }
  return { manifest, payload, signature: { keyId, value: new Uint8Array(value) } };
}

/** Reads the parts of a file in order, refusing a file too short for the next one. */
class Reader {
  at = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    private readonly source: string,
  ) {}

  /** The magic, the header's length, then the format. */
  header(): void {
    const start = this.bytes.subarray(0, MAGIC.length);
    if (!start.every((byte, i) => byte === MAGIC[i]))
      throw malformed(
        `${this.source} is not a Chronovisor update package: it starts with ${hexBytes(start)}, not the magic "CVUPDT\\0\\0"`,
      );
    this.take('its header', HEADER_BYTES);
    const format = this.view.getUint32(FORMAT_AT, true);
    if (format > UPDATE_FORMAT)
      throw malformed(
        `${this.source} is in update package format ${format}, written by a newer Chronovisor: this one reads format ${UPDATE_FORMAT} only`,
      );
    if (format !== UPDATE_FORMAT)
      throw malformed(
        `${this.source} has an unknown update package format ${format} (at byte ${FORMAT_AT}): this Chronovisor reads format ${UPDATE_FORMAT} only`,
      );
  }

  u32(part: string): number {
    const at = this.at;
    this.take(part, 4);
    return this.view.getUint32(at, true);
  }

  u8(part: string): number {
    const at = this.at;
    this.take(part, 1);
    return this.view.getUint8(at);
  }

  /** The next `length` bytes, as `part`; refuses a file too short to hold them. */
  take(part: string, length: number): Uint8Array {
    const found = Math.max(0, this.bytes.length - this.at);
    if (found < length)
      throw malformed(
        `${this.source} is truncated in ${part} (at byte ${this.at}): expected ${length} ${length === 1 ? 'byte' : 'bytes'}, found ${found}`,
      );
    const taken = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return taken;
  }
}

function readManifest(bytes: Uint8Array, source: string): UpdateManifest {
  return parseJsonDocument(
    bytes,
    `the manifest of ${source} (at byte ${HEADER_BYTES})`,
    updateManifestSchema,
    malformed,
    (issues) => describeIssues(issues),
  );
}

function readKeyId(bytes: Uint8Array, source: string, at: number): string {
  return utf8(bytes, `the key id of ${source} (at byte ${at}) is not UTF-8 text`);
}

/** `bytes` as UTF-8 text, or a refusal saying `problem`. A BOM is kept, not skipped. */
function utf8(bytes: Uint8Array, problem: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw malformed(problem);
  }
}

function malformed(message: string): PackageRefused {
  return new PackageRefused('malformed', message);
}

function hexBytes(bytes: Uint8Array): string {
  return bytes.length === 0
    ? 'nothing'
    : `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
