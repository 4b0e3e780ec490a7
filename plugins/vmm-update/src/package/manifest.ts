import { describeIssues as describeProblems } from '@chronovisor/core';
import { lt, valid, validRange } from 'semver';
import { z } from 'zod';

/** The package format this code writes and reads: the file header's version and `format`. */
export const UPDATE_FORMAT = 1;
/** Bytes in an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;
/** The longest key id, in UTF-8 bytes: the file keeps its length in one byte. */
export const MAX_KEY_ID_BYTES = 255;
/** The largest payload: the file keeps its length in 32 bits. */
export const MAX_PAYLOAD_BYTES = 2 ** 32 - 1;
/** How many hypercalls a VMM's table may hold. */
export const MAX_HYPERCALLS = 64;

/**
 * What an update package says (after US20080189697A1; Xen livepatch payloads, kpatch): the VMM
 * version it updates from and to, the new VMM's hypercalls, the guest extensions it installs and
 * those it works with, the updates it depends on, and its payload's length and hash. Signed, as
 * canonical JSON, by its publisher.
 */
export interface UpdateManifest {
  readonly format: 1;
  /** 1..64 characters of `A-Z a-z 0-9 . _ -`. */
  readonly id: string;
  /** Semver versions, each in its one spelling (`1.2.3`, `1.3.0-rc.1`); `from` < `to`. */
  readonly vmm: { readonly from: string; readonly to: string };
  /** The new VMM's hypercalls (the table the commit installs): names [a-z][a-z0-9_]*, unique, 1..64 of them. */
  readonly hypercalls: readonly string[];
  /** Guest extensions (drivers, agents inside guests) this update installs: name → new version (semver). */
  readonly extensions: Readonly<Record<string, string>>;
  /** What the new VMM works with: extension name → semver range its guests' extension must satisfy. */
  readonly compatible: Readonly<Record<string, string>>;
  /** Other updates (by id) that must be applied first (livepatch's dependencies), with the VMM version range they need. */
  readonly requires: readonly { readonly id: string; readonly vmm: string /* semver range */ }[];
  /** Bytes of the payload (the new VMM's code), and its SHA-256 hex. */
  readonly payload: { readonly bytes: number; readonly sha256: string };
}

/** An update package: its manifest, its payload, and its publisher's signature of the manifest. */
export interface UpdatePackage {
  readonly manifest: UpdateManifest;
  readonly payload: Uint8Array;
  /**
   * Ed25519 over the canonical JSON of the manifest, and the publisher's key id. An unsigned
   * package has an empty `value` (and, read from a file, an empty `keyId`).
   */
  readonly signature: { readonly keyId: string; readonly value: Uint8Array /* 64 bytes */ };
}

/** An update's id, and a dependency's: 1..64 of `A-Z a-z 0-9 . _ -`. */
const updateId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1..64 characters of A-Z a-z 0-9 . _ -');

/**
 * A semver version in its one spelling: what `semver.valid` gives back, so no `v` prefix, no
 * build metadata and no spaces. One spelling, so that equal versions sign and compare as equal.
 */
const version = z.string().refine((text) => valid(text) === text, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a semver version in its plain spelling (as 1.2.3 or 1.3.0-rc.1)`,
});

const range = z.string().refine((text) => text.trim() !== '' && validRange(text) !== null, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a semver range (as ^1.2.0 or >=1.2 <2)`,
});

/** A guest extension's name: 1..64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit. */
const extensionName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1..64 characters of A-Z a-z 0-9 . _ -, the first a letter or digit',
  );

/**
 * An object of extension name → `value`. zod's records drop a `__proto__` key silently (JSON.parse
 * makes it an own property); refused here instead, so what is checked is all that was signed.
 */
function byExtension(value: z.ZodString) {
  return z
    .custom<Readonly<Record<string, string>>>(
      (input) => typeof input !== 'object' || input === null || !Object.hasOwn(input, '__proto__'),
      'has a "__proto__" key, which is no extension name',
    )
    .pipe(z.record(extensionName, value));
}

const hypercallName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be a lowercase name ([a-z][a-z0-9_]*)');

/** One problem found by a check that spans fields, for `ctx.addIssue`. */
interface Problem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** What the field checks cannot see: the versions' order, duplicates, a dependency on itself. */
function crossProblems(manifest: UpdateManifest): Problem[] {
  const problems: Problem[] = [];
  // Checks across fields run even where a field failed its own (continuable) check.
  const { from, to } = manifest.vmm;
  if (valid(from) !== null && valid(to) !== null && !lt(from, to))
    problems.push({
      path: ['vmm', 'to'],
      message: `${to} is not newer than vmm.from (${from})`,
    });
  const firstAt = (values: readonly string[], i: number) => values.indexOf(values[i]!);
  manifest.hypercalls.forEach((name, i) => {
    const first = firstAt(manifest.hypercalls, i);
    if (first !== i)
      problems.push({
        path: ['hypercalls', i],
        message: `${JSON.stringify(name)} duplicates hypercalls[${first}]`,
      });
  });
  const required = manifest.requires.map((dependency) => dependency.id);
  required.forEach((id, i) => {
    const first = firstAt(required, i);
    if (first !== i)
      problems.push({
        path: ['requires', i, 'id'],
        message: `${JSON.stringify(id)} duplicates requires[${first}].id`,
      });
    else if (id === manifest.id)
      problems.push({
        path: ['requires', i, 'id'],
        message: `${JSON.stringify(id)} is this update's own id`,
      });
  });
  return problems;
}

/**
 * The manifest as a package must hold it: the field checks, then those across fields. No other
 * field is allowed: a field a later format adds comes with a new format number.
 */
export const updateManifestSchema: z.ZodType<UpdateManifest, UpdateManifest> = z
  .strictObject({
    format: z.literal(UPDATE_FORMAT),
    id: updateId,
    vmm: z.strictObject({ from: version, to: version }),
    hypercalls: z.array(hypercallName).min(1).max(MAX_HYPERCALLS),
    extensions: byExtension(version),
    compatible: byExtension(range),
    requires: z.array(z.strictObject({ id: updateId, vmm: range })),
    payload: z.strictObject({
      bytes: z.number().int().min(0).max(MAX_PAYLOAD_BYTES),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a SHA-256)'),
    }),
  })
  .superRefine((manifest, ctx) => {
    for (const problem of crossProblems(manifest)) ctx.addIssue({ code: 'custom', ...problem });
  });

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected a Uint8Array');

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * A whole package's shape: its manifest, its payload as bytes, and its signature, which may be
 * missing or empty (an unsigned package, which `verifyPackage` refuses for that) but is otherwise
 * 64 bytes under a key id of 1..255 UTF-8 bytes.
 */
export const updatePackageSchema = z
  .strictObject({
    manifest: updateManifestSchema,
    payload: bytes,
    signature: z
      .strictObject({
        keyId: z
          .string()
          .refine(
            (keyId) => utf8Length(keyId) <= MAX_KEY_ID_BYTES,
            `is longer than ${MAX_KEY_ID_BYTES} UTF-8 bytes`,
          ),
        value: bytes.refine(
          (value) => value.length === 0 || value.length === SIGNATURE_BYTES,
          `must be an Ed25519 signature of ${SIGNATURE_BYTES} bytes (or empty, unsigned)`,
        ),
      })
      .superRefine(({ keyId, value }, ctx) => {
        if (keyId === '' && value.length > 0)
          ctx.addIssue({
            code: 'custom',
            path: ['keyId'],
            message: 'is empty, but a signature must name the key that made it',
          });
      })
      .optional(),
  })
  .superRefine(({ payload }, ctx) => {
    if (payload.length > MAX_PAYLOAD_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: ['payload'],
        message: `has ${payload.length} bytes, more than the ${MAX_PAYLOAD_BYTES} a package holds`,
      });
  });

/** The shape `updatePackageSchema` checks: a package whose signature may be missing. */
export type PackageShape = z.output<typeof updatePackageSchema>;

/** One issue's words: a record's bad key says what is wrong with the key. */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message;
    return `is not a valid name${inner ? `: ${inner}` : ''}`;
  }
  return issue.message;
}

/** The issues of a failed parse in one sentence's tail, a record's bad key in its own words. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  below: readonly PropertyKey[] = [],
): string {
  return describeProblems(issues, { below, message: issueMessage });
}
