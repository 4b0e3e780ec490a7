import { defineOptions } from '@chronovisor/core';
import { z } from 'zod';

/** What loads before a booted VM runs. */
export const BOOT_POLICIES = ['lazy', 'working-set', 'full'] as const;
export type BootPolicy = (typeof BOOT_POLICIES)[number];

const micros = z.number().min(0).max(1e9);

/**
 * The snapshot-boot plugin's options: the default boot policy and the cost model that turns
 * loads and faults into simulated time. The defaults are of the order Firecracker's snapshot
 * restore and a userfaultfd page fault served from the page cache take (see the README).
 */
export const snapshotBootOptionsSchema = z.strictObject({
  /** What loads before the VM runs, unless a boot says: nothing (`lazy`), the recorded working set, or everything. Default `lazy`. */
  policy: z.enum(BOOT_POLICIES).default('lazy'),
  /** Fixed cost of restoring a VM (vCPU and device state, the memory map), in µs; default 4,000. */
  restoreMicros: micros.default(4000),
  /** Cost of one lazy page fault on top of moving its bytes (trap, userfaultfd round trip), in µs; default 40. */
  faultMicros: micros.default(40),
  /** Bandwidth of loading pages from the image, in MB/s (bytes per µs); default 2,000. */
  bandwidthMBps: z.number().min(1).max(1e6).default(2000),
});

/** Options of the snapshot-boot plugin, as a user writes them. */
export type SnapshotBootOptions = z.input<typeof snapshotBootOptionsSchema>;
/** The plugin's configuration with every default filled in. */
export type SnapshotBootConfig = z.output<typeof snapshotBootOptionsSchema>;

/** The plugin's options, as `snapshotBootPlugin(options)` checks them. */
export const SnapshotBootOptions = defineOptions(
  '@chronovisor/plugin-snapshot-boot:SnapshotBootConfig',
  snapshotBootOptionsSchema,
);

/** Token of the configuration: `@inject(SnapshotBootConfig)`. */
export const SnapshotBootConfig: symbol = SnapshotBootOptions.token;
