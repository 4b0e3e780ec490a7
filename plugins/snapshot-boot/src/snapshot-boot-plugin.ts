import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { SnapshotBootOptions } from './boot-options';
import { Booter } from './booter';
import { CACHE_EVENTS } from './cache-events';
import { Capturer } from './capturer';
import { CodeCache } from './code-cache';
import { LazyFaultReactor } from './lazy-fault-reactor';
import { SnapshotBootPanel } from './snapshot-boot-panel';
import { SNAPSHOT_COMMANDS } from './snapshot-commands';
import { SNAPSHOT_EVENTS } from './snapshot-events';
import { SnapshotHandlers } from './snapshot-handlers';
import { SnapshotBootQuery } from './snapshot-query';
import { SnapshotBootState } from './snapshot-state';
import { SnapshotSummaryLines } from './snapshot-summary-lines';
import { SnapshotView } from './snapshot-view';

/** The snapshot-boot plugin's package name. */
export const SNAPSHOT_BOOT_PLUGIN = '@chronovisor/plugin-snapshot-boot';

/**
 * Snapshot boot with lazy page loading, and a shared code cache; needs the MMU: `snapshotBootPlugin()`, or
 * `snapshotBootPlugin({ policy: 'working-set', faultMicros: 60 })`.
 */
export const snapshotBootPlugin = definePlugin({
  package: packageOf(__dirname),
  prefix: 'snapshot',
  requires: { [MMU_PLUGIN]: '^1' },
  options: SnapshotBootOptions,
  commands: SNAPSHOT_COMMANDS,
  events: [...SNAPSHOT_EVENTS, ...CACHE_EVENTS],
  projections: [SnapshotBootState],
  queries: [SnapshotBootQuery],
  handlers: [SnapshotHandlers],
  reactors: [LazyFaultReactor],
  tools: { views: [SnapshotView], summaries: [SnapshotSummaryLines], panels: [SnapshotBootPanel] },
  services: [Capturer, Booter, CodeCache],
});
