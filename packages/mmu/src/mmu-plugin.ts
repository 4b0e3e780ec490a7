import { definePlugin, parserFor, type Plugin } from '@chronovisor/core';
import { mmuOptionsSchema, resolveMmuConfig, type MmuOptions } from './mmu-config';
import { MMU_EVENTS } from './mmu-events';
import { mmuModule } from './mmu-module';

/** The MMU's package name, for other plugins' `requires`. */
export const MMU_PLUGIN = '@chronovisor/mmu';

/** The core MMU, loaded by every plugin set that touches memory. */
export function mmuPlugin(options: MmuOptions = {}): Plugin {
  const parsed = parserFor(
    mmuOptionsSchema,
    `options of plugin "${MMU_PLUGIN}"`,
    'options',
  )(options);
  return definePlugin({
    manifest: {
      name: MMU_PLUGIN,
      version: '1.0.0',
      description:
        'Physical frames, partitions, address spaces, multi-level and two-stage page tables, TLB.',
    },
    events: MMU_EVENTS,
    module: mmuModule(resolveMmuConfig(parsed)),
  });
}
