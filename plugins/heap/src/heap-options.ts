import { defineOptions } from '@chronovisor/core';
import { MAX_ACCESS } from '@chronovisor/mmu';
import { z } from 'zod';
import { INFO_BYTES } from './pointer';

/** How free memory is chosen for a request. */
export const POLICIES = ['first-fit', 'best-fit', 'segregated', 'buddy'] as const;
export type PolicyName = (typeof POLICIES)[number];

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));

/**
 * The heap plugin's options, checked, with their defaults. Every limit the heap enforces is here,
 * so that none is hard-coded elsewhere; what depends on the MMU (its page size, its address
 * space) is read from the MMU's configuration when a heap is made.
 */
export const heapOptionsSchema = z
  .strictObject({
    /** How free memory is chosen; default `best-fit`. */
    policy: z.enum(POLICIES).default('best-fit'),
    /** Bits of allocation count a pointer carries above its address; default 8 (a top byte, as HWASan). */
    tagBits: z.number().int().min(1).max(15).default(8),
    /** Bits of a pointer that address memory; the tag sits above them. Default 40 (1 TiB). */
    addressBits: z.number().int().min(24).max(48).default(40),
    /** Alignment of every block, and the granule of the allocation info; default 16 (as glibc and MTE). */
    alignment: z
      .number()
      .int()
      .min(8)
      .max(4096)
      .refine(isPowerOfTwo, 'must be a power of two')
      .default(16),
    /** Where each space's heap starts; default 0x1000000000 (64 GiB). Aligned to the MMU's pages. */
    base: z
      .number()
      .int()
      .min(0)
      .default(2 ** 36),
    /** The most bytes a heap may grow to, and so the largest request; default 1 GiB. */
    maxBytes: z
      .number()
      .int()
      .min(1)
      .default(2 ** 30),
    /**
     * The most bytes one `heap.load` or `heap.store` moves, and the pieces realloc's copy and
     * calloc's zeroing go through the MMU in; default 1 MiB, the bound of one MMU access command.
     */
    maxAccess: z.number().int().min(1).max(MAX_ACCESS).default(MAX_ACCESS),
  })
  .superRefine((o, ctx) => {
    if (o.addressBits + o.tagBits > 53) {
      ctx.addIssue({
        code: 'custom',
        path: ['tagBits'],
        message: `addressBits (${o.addressBits}) + tagBits (${o.tagBits}) must fit a pointer in 53 bits (a JavaScript number's exact integers)`,
      });
    }
    // Before the info region is rounded up to a page: the exact check is made with the MMU's
    // page size, when a heap is made (see `heapLayout`).
    if (o.base + o.maxBytes + infoBytes(o) > 2 ** o.addressBits) {
      ctx.addIssue({
        code: 'custom',
        path: ['base'],
        message: `the heap (0x${o.base.toString(16)} + ${o.maxBytes} bytes) and its allocation info must fit in ${o.addressBits} address bits`,
      });
    }
  });

/** Options of the heap plugin, as a user writes them. */
export type HeapOptions = z.input<typeof heapOptionsSchema>;

/** The heap's configuration with every default filled in. */
export type HeapConfig = z.output<typeof heapOptionsSchema>;

/**
 * The heap plugin's options, as `heapPlugin(options)` checks them; `@inject(HeapConfig)` reads
 * them with the defaults filled in.
 */
export const HeapOptions = defineOptions('@chronovisor/plugin-heap:HeapConfig', heapOptionsSchema);

/** Token of the heap's configuration (the options' token): `@inject(HeapConfig)`. */
export const HeapConfig: symbol = HeapOptions.token;

/** Bytes of allocation info a heap of `maxBytes` needs: one word per granule. */
function infoBytes(o: { maxBytes: number; alignment: number }): number {
  return Math.ceil(o.maxBytes / o.alignment) * INFO_BYTES;
}

/** Where a heap and its allocation info lie, for the MMU's page size. */
export interface HeapLayout {
  readonly base: number;
  /** Where the allocation info starts: past the largest heap, on a page boundary. */
  readonly metaBase: number;
  /** Where the allocation info of the largest heap ends. */
  readonly metaEnd: number;
}

/** The layout of every heap under `config`, with the MMU's `pageSize`. */
export function heapLayout(config: HeapConfig, pageSize: number): HeapLayout {
  const metaBase = Math.ceil((config.base + config.maxBytes) / pageSize) * pageSize;
  return { base: config.base, metaBase, metaEnd: metaBase + infoBytes(config) };
}
