import { createHash, sign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@chronovisor/core';
import { checkEd25519 } from './keys';
import {
  MAX_KEY_ID_BYTES,
  describeIssues,
  updateManifestSchema,
  type UpdateManifest,
  type UpdatePackage,
} from './manifest';
import { PackageRefused, UpdateKeyError } from './update-error';

/** What a manifest says of `payload`: its length and its SHA-256 in lowercase hex. */
export function describePayload(payload: Uint8Array): UpdateManifest['payload'] {
  return { bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex') };
}

/** The bytes a package's signature covers: the canonical JSON of its manifest, as UTF-8. */
export function signedBytes(manifest: UpdateManifest): Uint8Array {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

/**
 * Signs an update package, outside the simulation (tools, scenarios, tests): Ed25519 over the
 * canonical JSON of the manifest, whose `payload` field holds the payload's length and SHA-256.
 * Refuses (a {@link PackageRefused}) what could never verify: a manifest that fails its schema
 * ('malformed', naming the field), a payload that is not the one the manifest describes
 * ('payload-mismatch'), an empty or overlong key id ('malformed'). `privateKey` must be an
 * Ed25519 private key (an {@link UpdateKeyError} otherwise). Ed25519 signatures are deterministic:
 * equal manifests signed with equal keys give equal packages.
 */
export function signPackage(
  manifest: UpdateManifest,
  payload: Uint8Array,
  keyId: string,
  privateKey: KeyObject,
): UpdatePackage {
  checkEd25519(privateKey, 'the signing key');
  if (privateKey.type !== 'private')
    throw new UpdateKeyError(
      `${nameOf(manifest)} cannot be signed with a ${privateKey.type} key: give the publisher's private key`,
    );
  const checked = updateManifestSchema.safeParse(manifest);
  if (!checked.success)
    throw new PackageRefused(
      'malformed',
      `${nameOf(manifest)} cannot be signed: ${describeIssues(checked.error.issues, ['manifest'])}`,
    );
  if (keyId === '' || Buffer.byteLength(keyId, 'utf8') > MAX_KEY_ID_BYTES)
    throw new PackageRefused(
      'malformed',
      `${nameOf(manifest)} cannot be signed under key id ${JSON.stringify(keyId)}: a key id has 1..${MAX_KEY_ID_BYTES} UTF-8 bytes`,
    );
  const actual = describePayload(payload);
  const said = checked.data.payload;
  if (actual.bytes !== said.bytes || actual.sha256 !== said.sha256)
    throw new PackageRefused(
      'payload-mismatch',
      `${nameOf(manifest)} cannot be signed: its payload has ${actual.bytes} bytes and SHA-256 ${actual.sha256}, but its manifest says ${said.bytes} bytes and SHA-256 ${said.sha256}`,
    );
  const value = sign(null, signedBytes(checked.data), privateKey);
  return {
    manifest: checked.data,
    payload: new Uint8Array(payload),
    signature: { keyId, value: new Uint8Array(value) },
  };
}

/** `update package "xen-4.18.1"`, or `the update package` where it has no usable id. */
export function nameOf(manifest: unknown): string {
  const id: unknown = (manifest as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' ? `update package ${JSON.stringify(id)}` : 'the update package';
}
