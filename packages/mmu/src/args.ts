import { hexNumber } from '@chronovisor/core';
import { z } from 'zod';

/*
 * The field schemas MMU commands share, exported so that other plugins check the same fields the
 * same way (one checker, one message for a bad space id wherever it is passed).
 */

/** An address space's id. */
export const spaceId = z.number().int().min(1);
/** A virtual or physical address (shown in hex by the tools). */
export const address = hexNumber(
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 52),
);
/** A number of pages. */
export const pageCount = z
  .number()
  .int()
  .min(1)
  .max(2 ** 32);
/** Permissions as `rwx` letters, `-` for one not given: `r--`, `rw-`, `r-x`, or just `rw`. */
export const perms = z
  .string()
  .regex(/^(r|-)?(w|-)?(x|-)?$/, 'must be rwx letters, such as "rw-" or "r-x"');
/** A partition's name. */
export const partitionName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - and _');
/** Raw bytes: any Uint8Array (`z.instanceof` would narrow the type to one over an ArrayBuffer). */
export const bytes = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array,
  'expected a Uint8Array',
);
