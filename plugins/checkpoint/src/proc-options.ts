import { defineOptions } from '@chronovisor/core';
import { z } from 'zod';

/**
 * The checkpoint plugin's options: where processes' memory starts, and the cost model that
 * compares migration by remapping with migration by copying.
 */
export const procOptionsSchema = z.strictObject({
  /** Where a spawned process's memory is mapped; default 0x400000. */
  processVa: z.number().int().min(0).default(0x40_0000),
  /** Cost of moving one page's mapping (page-table updates, a TLB shootdown's share), in µs; default 0.2. */
  remapMicros: z.number().min(0).max(1e6).default(0.2),
  /** Bandwidth of copying memory, in MB/s (bytes per µs); default 4,000. */
  copyBandwidthMBps: z.number().min(1).max(1e6).default(4000),
});

/** Options of the checkpoint plugin, as a user writes them. */
export type ProcOptions = z.input<typeof procOptionsSchema>;
/** The configuration with every default filled in. */
export type ProcConfig = z.output<typeof procOptionsSchema>;

/** The plugin's options, as `checkpointPlugin(options)` checks them. */
export const ProcOptions = defineOptions(
  '@chronovisor/plugin-checkpoint:ProcConfig',
  procOptionsSchema,
);
/** Token of the configuration: `@inject(ProcConfig)`. */
export const ProcConfig: symbol = ProcOptions.token;
