import type { Query } from '@chronovisor/core';
import { MmuConfig } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { SnapshotBootConfig, type BootPolicy } from './boot-options';
import type { SnapshotImage } from './image';
import { SnapshotBootState, type BootedVm } from './snapshot-state';

/** An image at a glance. */
export interface ImageSummary {
  readonly name: string;
  readonly origin: 'capture' | 'import';
  /** Pages of guest-physical memory, and those the image holds (the rest are zero). */
  readonly pages: number;
  readonly stored: number;
  readonly guests: number;
  readonly workingSet?: number;
}

/** What a boot has cost so far, in the cost model's simulated time. */
export interface BootReport {
  readonly vm: number;
  readonly image: string;
  readonly policy: BootPolicy;
  readonly pages: number;
  /** Pages loaded before the VM ran, and pages loaded since on a fault. */
  readonly prefetched: number;
  readonly faults: number;
  /** Pages the VM's processes have touched. */
  readonly touched: number;
  /** Prefetched pages touched / prefetched, and / touched: how well the prefetch guessed (1 when nothing to judge). */
  readonly precision: number;
  readonly recall: number;
  /** Time before the VM runs: restore, then the prefetch at the image's bandwidth (µs). */
  readonly startMicros: number;
  /** Time the VM has waited on faults (µs). */
  readonly stallMicros: number;
  /** Both: the boot's cost to the workload so far (µs). */
  readonly bootMicros: number;
}

/** A code cache at a path: its newest version, and who shares it. */
export interface CacheSummary {
  readonly path: string;
  readonly version: number;
  readonly pages: number;
  /** VMs that mapped this version: one physical copy for all of them. */
  readonly instances: readonly number[];
  readonly rebuilds: number;
  readonly corruptions: number;
}

/** Images, booted VMs and code caches at a glance. */
export interface SnapshotBootStats {
  readonly images: readonly ImageSummary[];
  readonly vms: readonly BootReport[];
  readonly caches: readonly CacheSummary[];
  /** VMs that booted sharing a live clone's identity. */
  readonly identityHazards: number;
}

/** The snapshot-boot plugin's read-only face. */
export class SnapshotBootQuery implements Query {
  readonly name = 'snapshot-boot';

  constructor(
    @inject(SnapshotBootState) private readonly state: SnapshotBootState,
    @inject(SnapshotBootConfig) private readonly config: SnapshotBootConfig,
    @inject(MmuConfig) private readonly mmu: MmuConfig,
  ) {}

  images(): ImageSummary[] {
    return [...this.state.allImages()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((i) => ({
        name: i.name,
        origin: i.origin,
        pages: i.manifest.memory.reduce((n, r) => n + r.pages, 0),
        stored: i.pages.size,
        guests: i.manifest.guests.length,
        ...(i.workingSet ? { workingSet: i.workingSet.length } : {}),
      }));
  }

  /** An image as it is stored: its manifest and pages, to write to a file (`writeImageFile`). */
  image(name: string): SnapshotImage | undefined {
    const stored = this.state.image(name);
    if (!stored) return undefined;
    const pages = [...stored.pages]
      .sort((a, b) => a[0] - b[0])
      .map(([gpa, data]) => ({ gpa, data }));
    return { manifest: stored.manifest, pages };
  }

  /** What booting `vm` has cost so far, and how its prefetch did. */
  report(vm: number): BootReport | undefined {
    const booted = this.state.vm(vm);
    return booted ? this.reportOf(booted) : undefined;
  }

  vms(): BootReport[] {
    return [...this.state.allVms()].sort((a, b) => a.vm - b.vm).map((v) => this.reportOf(v));
  }

  /** The pages a booted VM first touched, in order. */
  firstTouches(vm: number): number[] {
    const booted = this.state.vm(vm);
    return booted ? [...booted.touched].sort((a, b) => a[1] - b[1]).map(([gpa]) => gpa) : [];
  }

  stats(): SnapshotBootStats {
    return {
      images: this.images(),
      vms: this.vms(),
      caches: this.caches(),
      identityHazards: this.state.hazardCount,
    };
  }

  /** The code caches, by path. */
  caches(): CacheSummary[] {
    return [...this.state.allCaches()]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map(({ path, version, pages, instances, rebuilds, corruptions }) => ({
        path,
        version,
        pages,
        instances,
        rebuilds,
        corruptions,
      }));
  }

  private reportOf(v: BootedVm): BootReport {
    const { restoreMicros, faultMicros, bandwidthMBps } = this.config;
    const pageMicros = this.mmu.pageSize / bandwidthMBps; // MB/s is bytes per µs
    let hits = 0;
    for (const gpa of v.prefetched) if (v.touched.has(gpa)) hits++;
    const prefetched = v.prefetched.size;
    const startMicros = restoreMicros + prefetched * pageMicros;
    const stallMicros = v.faults * (faultMicros + pageMicros);
    return {
      vm: v.vm,
      image: v.image,
      policy: v.policy,
      pages: v.pages,
      prefetched,
      faults: v.faults,
      touched: v.touched.size,
      precision: prefetched === 0 ? 1 : hits / prefetched,
      recall: v.touched.size === 0 ? 1 : hits / v.touched.size,
      startMicros,
      stallMicros,
      bootMicros: startMicros + stallMicros,
    };
  }
}
