import { ChronovisorError } from '@chronovisor/core';

/** Why an update package is refused, in the order `verifyPackage` checks them. */
export const REFUSAL_REASONS = [
  'malformed',
  'unsigned',
  'unknown-key',
  'bad-signature',
  'payload-mismatch',
  'wrong-version',
  'missing-dependency',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * An update package that cannot be read, signed or applied: its `reason`, and one sentence naming
 * the package (or the file), and what is wrong where: the manifest field, the key id, the
 * versions, the dependency.
 */
export class PackageRefused extends ChronovisorError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A key that is not what it must be: a public key's hex, or a key that is not Ed25519. */
export class UpdateKeyError extends ChronovisorError {}
