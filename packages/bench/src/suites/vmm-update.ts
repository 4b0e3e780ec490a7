import { NullStore, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { publisherKey, securityFix } from '@chronovisor/example-live-vmm-update';
import {
  VmmQuery,
  attach,
  install,
  publicKeyToHex,
  update,
  vmmUpdatePlugin,
} from '@chronovisor/plugin-vmm-update';
import { createPublicKey } from 'node:crypto';
import { figure, type Figure } from '../figure';

const VMS = 8;
const VM_PAGES = 32_768; // 128 MiB each

/**
 * A live VMM update's blackout (quiesce every guest, switch versions) beside the live-migration
 * way of updating a host: every VM migrated away and back, each move a pre-copy of its memory and
 * a stop-and-copy blackout. Eight VMs of 128 MiB, the cost model's defaults.
 */
export function vmmUpdateSuite(): Figure[] {
  const sim = new Simulation({
    plugins: [
      mmu.mmuPlugin({ frames: VMS * VM_PAGES + 1024 }),
      vmmUpdatePlugin({ trustedKeys: { ops: publicKeyToHex(createPublicKey(publisherKey)) } }),
    ],
    seed: 1,
    store: new NullStore(),
  });
  sim.dispatch(mmu.createPartition, { name: 'vmm', frames: 512 });
  sim.dispatch(mmu.createPartition, { name: 'guests', frames: VMS * VM_PAGES });
  sim.dispatch(install, {
    partition: 'vmm',
    version: '4.17.0',
    hypercalls: ['vcpu_op', 'memory_op', 'event_channel_op'],
    compatible: { netfront: '^2.0.0', blkfront: '^1.0.0' },
  });
  const vms = Array.from({ length: VMS }, () => {
    const vm = sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'guests' }).value!;
    sim.dispatch(mmu.map, { space: vm, va: 0, pages: VM_PAGES });
    sim.dispatch(attach, { vm, extensions: { netfront: '2.0.0', blkfront: '1.2.0' } });
    return vm;
  });
  const query = sim.get(VmmQuery);
  const baseline = query.migrationBaseline();
  const outcome = sim.dispatch(update, { from: vms[0]!, package: securityFix() }).value!;
  if (!outcome.ok) throw new Error(`the update did not commit: ${JSON.stringify(outcome)}`);
  return [
    figure({
      suite: 'vmm-update',
      name: `live VMM update of a host with ${VMS} VMs of 128 MiB: guests' total blackout`,
      value: (outcome.blackoutMicros * VMS) / 1000,
      unit: 'ms',
      lowerIsBetter: true,
      baseline: { name: 'migrating every VM away and back', value: baseline.blackoutMicros / 1000 },
      detail:
        `each guest paused ${(outcome.blackoutMicros / 1000).toFixed(2)} ms once; the evacuation takes ` +
        `${(baseline.totalMicros / 1e6).toFixed(2)} s end to end and pauses each guest twice`,
    }),
  ];
}
