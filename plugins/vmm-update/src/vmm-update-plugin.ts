import { definePlugin, packageOf } from '@chronovisor/core';
import { MMU_PLUGIN } from '@chronovisor/mmu';
import { SERVICE_COMMANDS } from './service-commands';
import { SERVICE_EVENTS } from './service-events';
import { ServiceHandlers } from './service-handlers';
import { ServiceState } from './service-state';
import { Updater } from './updater';
import { VMM_COMMANDS } from './vmm-commands';
import { VMM_EVENTS } from './vmm-events';
import { VmmHandlers } from './vmm-handlers';
import { VmmOptions } from './vmm-options';
import { VmmQuery } from './vmm-query';
import { VmmState } from './vmm-state';
import { VmmSummaryLines } from './vmm-summary-lines';
import { VmmUpdatePanel } from './vmm-update-panel';
import { VmmView } from './vmm-view';

/** The VMM-update plugin's package name. */
export const VMM_UPDATE_PLUGIN = '@chronovisor/plugin-vmm-update';

/**
 * A VMM updated live from a guest, online maintenance through a substitute instance, and devices
 * (de)virtualized at runtime; needs the MMU: `vmmUpdatePlugin({ trustedKeys: { ops: hex } })`.
 */
export const vmmUpdatePlugin = definePlugin({
  package: packageOf(__dirname),
  prefix: 'vmm',
  requires: { [MMU_PLUGIN]: '^1' },
  options: VmmOptions,
  commands: [...VMM_COMMANDS, ...SERVICE_COMMANDS],
  events: [...VMM_EVENTS, ...SERVICE_EVENTS],
  projections: [VmmState, ServiceState],
  queries: [VmmQuery],
  handlers: [VmmHandlers, ServiceHandlers],
  tools: { views: [VmmView], summaries: [VmmSummaryLines], panels: [VmmUpdatePanel] },
  services: [Updater],
});
