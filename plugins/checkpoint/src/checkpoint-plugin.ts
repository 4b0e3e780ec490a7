import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { CheckpointHandlers } from './checkpoint-handlers';
import { CheckpointPanel } from './checkpoint-panel';
import { Checkpointer } from './checkpointer';
import { CarriedState } from './carried-state';
import { Kernel } from './kernel';
import { Segments } from './segments';
import { Migrator } from './migrator';
import { PROC_COMMANDS } from './proc-commands';
import { PROC_EVENTS } from './proc-events';
import { ProcOptions } from './proc-options';
import { ProcQuery } from './proc-query';
import { ProcState } from './proc-state';
import { ProcSummaryLines } from './proc-summary-lines';
import { ProcView } from './proc-view';
import { ProcessHandlers } from './process-handlers';
import { ResourceHandlers } from './resource-handlers';
import { Restorer } from './restorer';

/** The checkpoint plugin's package name. */
export const CHECKPOINT_PLUGIN = '@chronovisor/plugin-checkpoint';

/**
 * Processes in pid namespaces, checkpoint/restore of their trees, and migration by remapping;
 * needs the MMU: `checkpointPlugin()`, or `checkpointPlugin({ copyBandwidthMBps: 1000 })`.
 */
export const checkpointPlugin = definePlugin({
  package: packageOf(__dirname),
  prefix: 'proc',
  requires: { [MMU_PLUGIN]: '^1' },
  options: ProcOptions,
  commands: PROC_COMMANDS,
  events: PROC_EVENTS,
  projections: [ProcState],
  queries: [ProcQuery],
  handlers: [ProcessHandlers, ResourceHandlers, CheckpointHandlers],
  tools: { views: [ProcView], summaries: [ProcSummaryLines], panels: [CheckpointPanel] },
  services: [Kernel, Segments, CarriedState, Checkpointer, Restorer, Migrator],
});
