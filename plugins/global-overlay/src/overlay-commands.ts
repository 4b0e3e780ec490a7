import { defineCommand, returns } from '@chronovisor/core';
import { bytes, partitionName } from '@chronovisor/mmu';
import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/, 'must be an identifier');
const program = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and -');
const version = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/);

/** A global as a version declares it (from JSON, or read from an ELF file's symbols). */
export const globalDecl = z.strictObject({
  name,
  type: z.string().min(1).max(64),
  size: z
    .number()
    .int()
    .min(1)
    .max(1 << 20),
  align: z
    .number()
    .int()
    .min(1)
    .max(4096)
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two')
    .default(8),
  /** Initial bytes (zeros if absent; at most `size`). */
  initial: bytes.optional(),
});

/**
 * How an update turns a global's old value into its new type: `extend` (little-endian integers,
 * zero- or sign-extended to the new size), `copy` (the old bytes, cut or zero-filled), `initial`
 * (the new declaration's initial value).
 */
export const transformer = z.strictObject({
  kind: z.enum(['extend', 'copy', 'initial']),
  signed: z.boolean().default(false),
});

/** `overlay.load`: loads a version of `program`, its globals bound to the shared data segment. */
export const load = defineCommand('overlay.load', {
  args: z.strictObject({
    program,
    version,
    /** The partition whose frames hold the segment (first version) and the version's process. */
    partition: partitionName,
    globals: z.array(globalDecl).max(100_000),
    /** For globals whose type or size changed: how to carry their value over. */
    transformers: z.record(name, transformer).default({}),
  }),
  description:
    'Load `version` of `program`: common globals shared, added ones new, changed ones transformed (or refused).',
  returns: returns<{ space: number; base: number }>(),
});

/** `overlay.read`: reads a global as a version sees it. */
export const read = defineCommand('overlay.read', {
  args: z.strictObject({ program, version, global: name }),
  description: 'Read `global` as `version` of `program` sees it (through its global segment).',
  returns: returns<Uint8Array>(),
});

/** `overlay.write`: writes a global through a version's segment (seen by every version sharing it). */
export const write = defineCommand('overlay.write', {
  args: z.strictObject({
    program,
    version,
    global: name,
    data: bytes,
    at: z.number().int().min(0).default(0),
  }),
  description: 'Write `data` into `global` at byte `at`, through `version` of `program`.',
});

/** `overlay.retire`: a version stops: its segment unmapped, globals no live version uses freed. */
export const retire = defineCommand('overlay.retire', {
  args: z.strictObject({ program, version }),
  description: 'Retire `version` of `program` (a rollback, if it is the newest).',
});

/** Every command type the plugin handles. */
export const OVERLAY_COMMANDS = [load, read, write, retire] as const;
