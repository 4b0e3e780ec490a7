import { z } from 'zod';

/** Token of the heap plugin's resolved configuration. */
export const HeapConfig = Symbol.for('@chronovisor/plugin-heap:HeapConfig');

/** How free memory is chosen for a request. */
export const POLICIES = ['first-fit', 'best-fit', 'segregated', 'buddy'] as const;
export type PolicyName = (typeof POLICIES)[number];

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));

/** The heap plugin's options, checked, with their defaults. */
export const heapOptionsSchema = z
  .object({
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
    /** Where each space's heap starts; default 0x1000000000 (64 GiB). Page-aligned. */
    base: z
      .number()
      .int()
      .min(0)
      .default(2 ** 36),
    /** The most bytes a heap may grow to; default 1 GiB. */
    maxBytes: z
      .number()
      .int()
      .min(4096)
      .default(2 ** 30),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.addressBits + o.tagBits > 53) {
      ctx.addIssue({
        code: 'custom',
        path: ['tagBits'],
        message: `addressBits (${o.addressBits}) + tagBits (${o.tagBits}) must fit a pointer in 53 bits (a JavaScript number's exact integers)`,
      });
    }
    if (metaBaseOf(o) + metaBytesOf(o) > 2 ** o.addressBits) {
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
export interface HeapConfig extends z.output<typeof heapOptionsSchema> {
  /** Where the allocation info region starts: right after the largest heap, page-aligned. */
  readonly metaBase: number;
}

export function resolveHeapConfig(options: z.output<typeof heapOptionsSchema>): HeapConfig {
  return { ...options, metaBase: metaBaseOf(options) };
}

const PAGE = 4096;
function metaBaseOf(o: { base: number; maxBytes: number }): number {
  return Math.ceil((o.base + o.maxBytes) / PAGE) * PAGE;
}
function metaBytesOf(o: { maxBytes: number; alignment: number }): number {
  return (o.maxBytes / o.alignment) * 2;
}
