import { defineOptions } from '@chronovisor/core';
import { z } from 'zod';

/** The overlay's options: where each version's global segment lies in its process. */
export const overlayOptionsSchema = z.strictObject({
  /** Where the first version's global segment starts; default 0x60000000. */
  versionBase: z
    .number()
    .int()
    .min(0)
    .max(2 ** 46)
    .default(0x6000_0000),
  /** How far apart successive versions' segments are, so each has its own logical range; default 256 MiB. */
  versionStride: z
    .number()
    .int()
    .min(4096)
    .max(2 ** 40)
    .default(0x1000_0000),
});
export type OverlayOptions = z.input<typeof overlayOptionsSchema>;
export type OverlayConfig = z.output<typeof overlayOptionsSchema>;
export const OverlayOptions = defineOptions(
  '@chronovisor/plugin-global-overlay:OverlayConfig',
  overlayOptionsSchema,
);
/** Token of the configuration: `@inject(OverlayConfig)`. */
export const OverlayConfig: symbol = OverlayOptions.token;
