import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { GuestLeveragePanel } from './guest-leverage-panel';
import { LEVERAGE_COMMANDS } from './leverage-commands';
import { LEVERAGE_EVENTS } from './leverage-events';
import { LeverageHandlers } from './leverage-handlers';
import { LeverageQuery } from './leverage-query';
import { LeverageState } from './leverage-state';
import { LeverageSummaryLines } from './leverage-summary-lines';
import { LeverageView } from './leverage-view';

/** The guest-leverage plugin's package name. */
export const GUEST_LEVERAGE_PLUGIN = '@chronovisor/plugin-guest-leverage';

/** Host I/O intercepted by chains of guest modules; needs the MMU: `guestLeveragePlugin()`. */
export const guestLeveragePlugin = definePlugin({
  package: packageOf(__dirname),
  prefix: 'leverage',
  requires: { [MMU_PLUGIN]: '^1' },
  commands: LEVERAGE_COMMANDS,
  events: LEVERAGE_EVENTS,
  projections: [LeverageState],
  queries: [LeverageQuery],
  handlers: [LeverageHandlers],
  tools: { views: [LeverageView], summaries: [LeverageSummaryLines], panels: [GuestLeveragePanel] },
});
