import { z } from 'zod';

/** The argument schemas MMU commands share, so each field is checked (and named) one way. */
export const spaceId = z.number().int().min(1);
export const address = z
  .number()
  .int()
  .min(0)
  .max(2 ** 52);
export const pageCount = z
  .number()
  .int()
  .min(1)
  .max(2 ** 32);
/** Permissions as `rwx` letters, `-` for one not given: `r--`, `rw-`, `r-x`, or just `rw`. */
export const perms = z
  .string()
  .regex(/^(r|-)?(w|-)?(x|-)?$/, 'must be rwx letters, such as "rw-" or "r-x"');
export const partitionName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - and _');
export const bytes = z.instanceof(Uint8Array);
