import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { HandleChecks } from './handle-checks';
import { HANDLES_COMMANDS } from './handles-commands';
import { HANDLES_EVENTS } from './handles-events';
import { HandlesOptions } from './handles-options';
import { HandlesPanel } from './handles-panel';
import { HandlesQuery } from './handles-query';
import { HandlesSpaceState, RestoreStateCommands } from './handles-space-state';
import { HandlesState } from './handles-state';
import { HandlesSummaryLines } from './handles-summary-lines';
import { HandlesView } from './handles-view';
import { TableBuilder } from './table-builder';
import { TableCommands } from './table-commands';

export { HANDLES_PLUGIN } from './plugin-name';

/**
 * Lock-free hierarchical handle tables with identifier-checked handles; needs the MMU:
 * `handlesPlugin()` with the defaults, or `handlesPlugin({ reuse: 'fifo', identifierBits: 4 })`.
 */
export const handlesPlugin = definePlugin({
  package: packageOf(__dirname),
  requires: { [MMU_PLUGIN]: '^1' },
  options: HandlesOptions,
  commands: HANDLES_COMMANDS,
  events: HANDLES_EVENTS,
  projections: [HandlesState],
  queries: [HandlesQuery],
  handlers: [TableCommands, RestoreStateCommands],
  spaceState: [HandlesSpaceState],
  tools: { views: [HandlesView], summaries: [HandlesSummaryLines], panels: [HandlesPanel] },
  services: [TableBuilder, HandleChecks],
});
