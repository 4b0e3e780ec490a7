import { defineOptions } from '@chronovisor/core';
import { z } from 'zod';

/** Which free slot a new handle takes. */
export const REUSE_POLICIES = ['lifo', 'fifo', 'delayed'] as const;
export type ReusePolicy = (typeof REUSE_POLICIES)[number];

/** Bytes of one handle table entry (object pointer and attributes), as on 64-bit NT. */
export const ENTRY_BYTES = 16;
/** Bytes of one pointer in a mid or top table. */
export const POINTER_BYTES = 8;

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));
const tableSize = z
  .number()
  .int()
  .min(2)
  .max(2 ** 16)
  .refine(isPowerOfTwo, 'must be a power of two');

/**
 * The handle plugin's options, checked, with their defaults. What depends on the MMU (the table
 * sizes that fill a page, the address space) is checked against its configuration when a table
 * is made.
 */
export const handlesOptionsSchema = z.strictObject({
  /** Which free slot a new handle takes: the last closed (`lifo`, as NT), the first (`fifo`), or the first once `reuseDelay` others wait behind it. Default `lifo`. */
  reuse: z.enum(REUSE_POLICIES).default('lifo'),
  /** For `delayed`: closed slots that must wait behind a slot before it is reused; default 16. */
  reuseDelay: z
    .number()
    .int()
    .min(1)
    .max(2 ** 20)
    .default(16),
  /** Bits of a handle that carry its slot's identifier; 0 gives NT's handles, which carry none. Default 8. */
  identifierBits: z.number().int().min(0).max(24).default(8),
  /** Bits of a handle that carry its index; default 24 (NT's limit of 16,777,216 handles). */
  indexBits: z.number().int().min(2).max(29).default(24),
  /** Entries per leaf table; default: a page of 16-byte entries (256 on 4 KiB pages). */
  leafEntries: tableSize.optional(),
  /** Pointers per mid or top table; default: a page of 8-byte pointers (512 on 4 KiB pages). */
  pointersPerTable: tableSize.optional(),
  /** The most levels a table grows to, 1 to 3 (NT's); default 3. */
  maxLevels: z.number().int().min(1).max(3).default(3),
  /** Where each space's tables are mapped, a page each; default 0x2000000000 (128 GiB). */
  base: z
    .number()
    .int()
    .min(1, 'must be above 0: address 0 is no table')
    .default(2 ** 37),
});

/** Options of the handles plugin, as a user writes them. */
export type HandlesOptions = z.input<typeof handlesOptionsSchema>;

/** The handles plugin's configuration with every default filled in. */
export type HandlesConfig = z.output<typeof handlesOptionsSchema>;

/**
 * The handles plugin's options, as `handlesPlugin(options)` checks them; `@inject(HandlesConfig)`
 * reads them with the defaults filled in.
 */
export const HandlesOptions = defineOptions(
  '@chronovisor/plugin-handles:HandlesConfig',
  handlesOptionsSchema,
);

/** Token of the handles plugin's configuration: `@inject(HandlesConfig)`. */
export const HandlesConfig: symbol = HandlesOptions.token;
