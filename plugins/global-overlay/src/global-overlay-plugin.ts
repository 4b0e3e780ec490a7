import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { GlobalOverlayPanel } from './global-overlay-panel';
import { Loader } from './loader';
import { OVERLAY_COMMANDS } from './overlay-commands';
import { OVERLAY_EVENTS } from './overlay-events';
import { OverlayHandlers } from './overlay-handlers';
import { OverlayOptions } from './overlay-options';
import { OverlayQuery } from './overlay-query';
import { OverlayState } from './overlay-state';
import { OverlaySummaryLines } from './overlay-summary-lines';
import { OverlayView } from './overlay-view';

/** The global-overlay plugin's package name. */
export const GLOBAL_OVERLAY_PLUGIN = '@chronovisor/plugin-global-overlay';

/** Multi-version live update through a global-variable overlay; needs the MMU: `globalOverlayPlugin()`. */
export const globalOverlayPlugin = definePlugin({
  package: packageOf(__dirname),
  prefix: 'overlay',
  requires: { [MMU_PLUGIN]: '^1' },
  options: OverlayOptions,
  commands: OVERLAY_COMMANDS,
  events: OVERLAY_EVENTS,
  projections: [OverlayState],
  queries: [OverlayQuery],
  handlers: [OverlayHandlers],
  tools: { views: [OverlayView], summaries: [OverlaySummaryLines], panels: [GlobalOverlayPanel] },
  services: [Loader],
});
