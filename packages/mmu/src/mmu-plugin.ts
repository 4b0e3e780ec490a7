import { definePlugin, packageOf } from '@chronovisor/core';
import { AccessCommands } from './access-commands';
import { FlushCommands } from './flush-commands';
import { MappingCommands } from './mapping-commands';
import { MmuChecks } from './mmu-checks';
import { MMU_COMMANDS } from './mmu-commands';
import { MmuOptions } from './mmu-config';
import { MMU_EVENTS } from './mmu-events';
import { MmuMemoryMap } from './mmu-memory-map';
import { MmuPanel } from './mmu-panel';
import { MmuQuery } from './mmu-query';
import { MmuState } from './mmu-state';
import { MmuSummary } from './mmu-summary';
import { FramesView, MmuStatsView, SpacesView, TlbView } from './mmu-views';
import { SpaceCommands } from './space-commands';

/** The MMU's package name, for other plugins' `requires`. */
export const MMU_PLUGIN = '@chronovisor/mmu';

/**
 * The core MMU, loaded by every plugin set that touches memory: `mmuPlugin()` with the defaults,
 * or `mmuPlugin({ frames: 1024, pageSize: 8192 })`.
 */
export const mmuPlugin = definePlugin({
  package: packageOf(__dirname),
  options: MmuOptions,
  commands: MMU_COMMANDS,
  events: MMU_EVENTS,
  projections: [MmuState],
  queries: [MmuQuery],
  handlers: [SpaceCommands, MappingCommands, AccessCommands, FlushCommands],
  services: [MmuChecks],
  tools: {
    views: [SpacesView, FramesView, TlbView, MmuStatsView],
    summaries: [MmuSummary],
    memory: [MmuQuery],
    panels: [MmuPanel],
    memoryMap: [MmuMemoryMap],
  },
});
