import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { SnapshotBootQuery } from './snapshot-query';

const USAGE = 'boots [vm] — snapshot images, and VMs booted from them: loads, faults, boot time';

/** `info boots`: the images and booted VMs; `info boots <vm>` one VM's boot and its first touches. */
export class SnapshotView implements InfoView {
  readonly name = 'boots';
  readonly usage = USAGE;

  constructor(@inject(SnapshotBootQuery) private readonly query: SnapshotBootQuery) {}

  show(args: readonly string[]): unknown {
    if (args.length === 0) return this.query.stats();
    const [vmArg, ...rest] = args;
    const vm = Number(vmArg);
    if (rest.length > 0 || !Number.isSafeInteger(vm) || vm < 1)
      throw new Error(`Expected a VM's space id, got "${args.join(' ')}" (usage: info ${USAGE})`);
    const report = this.query.report(vm);
    if (!report) throw new Error(`Space ${vm} was not booted from an image`);
    return { ...report, firstTouches: this.query.firstTouches(vm) };
  }
}
