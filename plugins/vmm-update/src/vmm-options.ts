import { defineOptions } from '@chronovisor/core';
import { z } from 'zod';

const micros = z.number().min(0).max(1e9);

/**
 * The VMM-update plugin's options: the publishers whose packages the VMM trusts, how long it
 * waits for quiescence, and the cost model of an update's blackout beside live migration's.
 */
export const vmmOptionsSchema = z.strictObject({
  /** Publisher key id → raw Ed25519 public key in hex (64 hex digits). */
  trustedKeys: z
    .record(
      z.string().min(1).max(64),
      z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    )
    .default({}),
  /** Quiesce attempts before an update gives up and reverts (a busy guest never quiesces). Default 3. */
  quiesceAttempts: z.number().int().min(1).max(1000).default(3),
  /** Cost of quiescing one guest's vCPUs (an IPI and a rendezvous), µs; default 50. */
  quiesceMicros: micros.default(50),
  /** Cost of the version switch itself (the hypercall table and entry points), µs; default 200. */
  commitMicros: micros.default(200),
  /** Bandwidth of moving a guest's memory in a live migration (the baseline), MB/s; default 1,000. */
  migrateBandwidthMBps: z.number().min(1).max(1e6).default(1000),
  /** A live migration's stop-and-copy blackout per VM, beside its pre-copy, µs; default 30,000. */
  migrateBlackoutMicros: micros.default(30_000),
});

export type VmmOptions = z.input<typeof vmmOptionsSchema>;
export type VmmConfig = z.output<typeof vmmOptionsSchema>;

/** The plugin's options, as `vmmUpdatePlugin(options)` checks them. */
export const VmmOptions = defineOptions(
  '@chronovisor/plugin-vmm-update:VmmConfig',
  vmmOptionsSchema,
);
/** Token of the configuration: `@inject(VmmConfig)`. */
export const VmmConfig: symbol = VmmOptions.token;
