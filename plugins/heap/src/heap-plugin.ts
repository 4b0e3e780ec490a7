import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { AccessCommands } from './access-commands';
import { AllocationCommands } from './allocation-commands';
import { Allocator } from './allocator';
import { HeapChecks } from './heap-checks';
import { HEAP_COMMANDS } from './heap-commands';
import { HEAP_EVENTS } from './heap-events';
import { HeapOptions } from './heap-options';
import { HeapPanel } from './heap-panel';
import { HeapQuery } from './heap-query';
import { HeapSpaceState, RestoreStateCommands } from './heap-space-state';
import { HeapState } from './heap-state';
import { HeapSummaryLines } from './heap-summary-lines';
import { HeapView } from './heap-view';

/** The heap plugin's package name. */
export const HEAP_PLUGIN = '@chronovisor/plugin-heap';

/**
 * Tagged heap allocation that catches stale and forged pointers; needs the MMU:
 * `heapPlugin()` with the defaults, or `heapPlugin({ policy: 'buddy', tagBits: 4 })`.
 */
export const heapPlugin = definePlugin({
  package: packageOf(__dirname),
  requires: { [MMU_PLUGIN]: '^1' },
  options: HeapOptions,
  commands: HEAP_COMMANDS,
  events: HEAP_EVENTS,
  projections: [HeapState],
  queries: [HeapQuery],
  handlers: [AllocationCommands, AccessCommands, RestoreStateCommands],
  spaceState: [HeapSpaceState],
  tools: { views: [HeapView], summaries: [HeapSummaryLines], panels: [HeapPanel] },
  services: [Allocator, HeapChecks],
});
