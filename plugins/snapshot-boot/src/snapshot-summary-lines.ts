import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { SnapshotBootQuery } from './snapshot-query';

const n = (value: number): string => value.toLocaleString('en-US');
const ms = (micros: number): string => `${(micros / 1000).toFixed(2)} ms`;
const pct = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

/** What a run came to in snapshot boots: images, and each boot's loads, faults and time. */
export class SnapshotSummaryLines implements SummaryLines {
  readonly name = 'snapshot-boot';

  constructor(@inject(SnapshotBootQuery) private readonly query: SnapshotBootQuery) {}

  summary(): Readonly<Record<string, unknown>> {
    return { ...this.query.stats() };
  }

  /** The boots' mean time and their faults, over every VM booted. */
  figures(): Readonly<Record<string, number>> {
    const { vms } = this.query.stats();
    if (vms.length === 0) return {};
    const micros = vms.reduce((sum, v) => sum + v.bootMicros, 0);
    return {
      'boot ms': micros / vms.length / 1000,
      'boot faults': vms.reduce((s, v) => s + v.faults, 0),
    };
  }

  lines(): readonly string[] {
    const { images, vms, caches, identityHazards } = this.query.stats();
    return [
      ...images.map(
        (i) =>
          `image ${i.name} (${i.origin}): ${n(i.pages)} pages, ${n(i.stored)} stored` +
          (i.workingSet === undefined ? '' : `, working set of ${n(i.workingSet)}`),
      ),
      ...vms.map(
        (v) =>
          `vm ${v.vm} from ${v.image} (${v.policy}): ${n(v.prefetched)} prefetched, ${n(v.faults)} faults, ${n(v.touched)} of ${n(v.pages)} pages touched; ` +
          `start ${ms(v.startMicros)} + stalls ${ms(v.stallMicros)} = ${ms(v.bootMicros)}` +
          (v.policy === 'lazy'
            ? ''
            : `; prefetch precision ${pct(v.precision)}, recall ${pct(v.recall)}`),
      ),
      ...caches.map(
        (c) =>
          `code cache ${c.path} v${c.version}: ${n(c.pages)} pages shared by ${n(c.instances.length)} instance${c.instances.length === 1 ? '' : 's'}` +
          `; ${n(c.rebuilds)} rebuilds, ${n(c.corruptions)} found corrupt`,
      ),
      `clone identity hazards: ${identityHazards === 0 ? 'none' : n(identityHazards)}`,
    ];
  }
}
