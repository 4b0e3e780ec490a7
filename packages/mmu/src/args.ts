import { z } from 'zod';

/** The argument schemas MMU commands share, so each field is checked (and named) one way. */
export const spaceId = z.number().int().min(1);
/** A virtual or physical address. */
export const address = z
  .number()
  .int()
  .min(0)
  .max(2 ** 52);
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
/** Raw bytes. */
export const bytes = z.instanceof(Uint8Array);
