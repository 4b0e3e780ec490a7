import { defineOptions } from '@chronovisor/core';
import { z } from 'zod';
import { makeGeometry, type Geometry } from './geometry';
import type { TlbPolicy } from './tlb';

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));

/** The MMU plugin's options, checked, with their defaults. */
export const mmuOptionsSchema = z
  .object({
    /** Physical frames in the machine; default 16,384 (64 MiB of 4 KiB pages). */
    frames: z
      .number()
      .int()
      .min(1)
      .max(2 ** 32)
      .default(16_384),
    /** Bytes per page and frame; a power of two from 512 to 2 MiB; default 4096. */
    pageSize: z
      .number()
      .int()
      .min(512)
      .max(2 ** 21)
      .refine(isPowerOfTwo, 'must be a power of two')
      .default(4096),
    /** Page table levels; default 4 (x86-64 four-level paging, ARMv8 with a 4 KiB granule). */
    levels: z.number().int().min(1).max(6).default(4),
    /** Index bits per level; default 9 (512 entries of 8 bytes fill a 4 KiB table page). */
    bitsPerLevel: z.number().int().min(1).max(16).default(9),
    tlb: z
      .object({
        /** Entries per address space; default 64 (a typical L1 DTLB). */
        entries: z.number().int().min(1).max(4096).default(64),
        policy: z.enum(['lru', 'fifo']).default('lru'),
      })
      .strict()
      .default({ entries: 64, policy: 'lru' }),
  })
  .strict();

/** Options of the MMU plugin, as a user writes them. */
export type MmuOptions = z.input<typeof mmuOptionsSchema>;

/** The MMU's configuration with every default filled in. */
export interface MmuConfig extends Geometry {
  readonly frames: number;
  readonly tlb: { readonly entries: number; readonly policy: TlbPolicy };
}

/** The configuration the MMU runs with, from checked options. */
export function resolveMmuConfig(options: z.output<typeof mmuOptionsSchema>): MmuConfig {
  return {
    ...makeGeometry(options.pageSize, options.levels, options.bitsPerLevel),
    frames: options.frames,
    tlb: options.tlb,
  };
}

/**
 * The MMU plugin's options, as `mmuPlugin(options)` checks them: defaults filled in, then
 * resolved into the {@link MmuConfig} its services inject.
 */
export const MmuOptions = defineOptions(
  '@chronovisor/mmu:MmuConfig',
  mmuOptionsSchema.transform(resolveMmuConfig),
);

/** Token of the MMU's resolved configuration (the options' token): `@inject(MmuConfig)`. */
export const MmuConfig: symbol = MmuOptions.token;
