import { definePlugin, parserFor, type Plugin } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { HEAP_EVENTS } from './heap-events';
import { heapModule } from './heap-module';
import { heapOptionsSchema, resolveHeapConfig, type HeapOptions } from './heap-options';

/** The heap plugin's package name. */
export const HEAP_PLUGIN = '@chronovisor/plugin-heap';

/** Tagged heap allocation that catches stale and forged pointers; needs the MMU. */
export function heapPlugin(options: HeapOptions = {}): Plugin {
  const parsed = parserFor(
    heapOptionsSchema,
    `options of plugin "${HEAP_PLUGIN}"`,
    'options',
  )(options);
  return definePlugin({
    manifest: {
      name: HEAP_PLUGIN,
      version: '1.0.0',
      description:
        'Tagged heap allocation (first-fit, best-fit, segregated, buddy) that catches stale and forged pointers.',
      requires: { [MMU_PLUGIN]: '^1.0.0' },
    },
    events: HEAP_EVENTS,
    module: heapModule(resolveHeapConfig(parsed)),
  });
}
