import { verify, type KeyObject } from 'node:crypto';
import { satisfies } from 'semver';
import { checkEd25519 } from './keys';
import { describeIssues, updatePackageSchema, type UpdateManifest } from './manifest';
import { describePayload, nameOf, signedBytes } from './sign-package';
import { PackageRefused } from './update-error';

/** What the VMM knows when it checks a package. */
export interface VerifyContext {
  /** keyId → Ed25519 public key of each publisher the VMM trusts. */
  readonly trusted: ReadonlyMap<string, KeyObject>;
  /** The running VMM's version, in its plain semver spelling (`1.2.0`). */
  readonly vmmVersion: string;
  /** Ids of the updates applied before. */
  readonly applied: ReadonlySet<string>;
}

/**
 * Checks an update package as the VMM receives it, and returns its manifest when every check
 * passes. A pure function of its arguments (Ed25519 verification is deterministic), so the
 * plugin's command handlers may call it. Checks, in this order, the first failure being the
 * refusal (a {@link PackageRefused} with its reason):
 *
 * 1. the package's shape, naming the field (`manifest.vmm.to`) → 'malformed';
 * 2. a signature present, its value not empty → 'unsigned';
 * 3. its key id one the VMM trusts → 'unknown-key';
 * 4. Ed25519 over the canonical JSON of the manifest → 'bad-signature' (a manifest altered after
 *    signing fails here);
 * 5. the payload's length, then its SHA-256, as the manifest says → 'payload-mismatch' (a payload
 *    altered after signing fails here: the manifest's hash of it is signed);
 * 6. `vmm.from` the running version → 'wrong-version';
 * 7. every `requires` id applied, and its range satisfied by the running version →
 *    'missing-dependency', naming the first missing.
 */
export function verifyPackage(pkg: unknown, context: VerifyContext): UpdateManifest {
  const name = nameOf((pkg as { manifest?: unknown } | null | undefined)?.manifest);
  let checked: ReturnType<typeof updatePackageSchema.safeParse>;
  try {
    checked = updatePackageSchema.safeParse(pkg);
  } catch (error) {
    // Input no schema could walk (a getter that throws, a proxy): refused as any other.
    throw new PackageRefused(
      'malformed',
      `${name} cannot be checked: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!checked.success)
    throw new PackageRefused(
      'malformed',
      `${name} is malformed: ${describeIssues(checked.error.issues)}`,
    );
  const { manifest, payload, signature } = checked.data;

  if (!signature || signature.value.length === 0)
    throw new PackageRefused(
      'unsigned',
      `${name} is unsigned: the VMM applies only packages signed by a publisher it trusts`,
    );

  const key = context.trusted.get(signature.keyId);
  if (!key) {
    const known = [...context.trusted.keys()].sort();
    throw new PackageRefused(
      'unknown-key',
      `${name} is signed with key ${JSON.stringify(signature.keyId)}, which the VMM does not trust (${
        known.length === 0
          ? 'it trusts no key'
          : `it trusts ${known.map((id) => JSON.stringify(id)).join(', ')}`
      })`,
    );
  }
  checkEd25519(key, `trusted key ${JSON.stringify(signature.keyId)}`);
  if (!signatureHolds(manifest, signature.value, key))
    throw new PackageRefused(
      'bad-signature',
      `${name} fails its Ed25519 signature check under key ${JSON.stringify(signature.keyId)}: its manifest was altered after signing, or another key signed it`,
    );

  const actual = describePayload(payload);
  if (actual.bytes !== manifest.payload.bytes)
    throw new PackageRefused(
      'payload-mismatch',
      `${name} has a payload of ${actual.bytes} bytes, but its manifest says ${manifest.payload.bytes}: the payload was altered after signing`,
    );
  if (actual.sha256 !== manifest.payload.sha256)
    throw new PackageRefused(
      'payload-mismatch',
      `${name} has a payload whose SHA-256 is ${actual.sha256}, but its manifest says ${manifest.payload.sha256}: the payload was altered after signing`,
    );

  const running = context.vmmVersion;
  if (manifest.vmm.from !== running)
    throw new PackageRefused(
      'wrong-version',
      `${name} updates VMM ${manifest.vmm.from} to ${manifest.vmm.to}, but the running VMM is ${running}`,
    );

  const missing = manifest.requires.flatMap((dependency) => {
    if (!context.applied.has(dependency.id))
      return [`requires update ${JSON.stringify(dependency.id)}, which has not been applied`];
    if (!satisfies(running, dependency.vmm))
      return [
        `requires update ${JSON.stringify(dependency.id)} with a VMM in ${JSON.stringify(dependency.vmm)}, but the running VMM is ${running}`,
      ];
    return [];
  });
  if (missing.length > 0) {
    const others = missing.length - 1;
    throw new PackageRefused(
      'missing-dependency',
      `${name} ${missing[0]!}${others > 0 ? ` (and ${others} more ${others === 1 ? 'dependency is' : 'dependencies are'} missing)` : ''}`,
    );
  }
  return manifest;
}

/** Whether `value` is the Ed25519 signature by `key` of the manifest's canonical JSON. */
function signatureHolds(manifest: UpdateManifest, value: Uint8Array, key: KeyObject): boolean {
  try {
    return verify(null, signedBytes(manifest), key, value);
  } catch {
    return false;
  }
}
