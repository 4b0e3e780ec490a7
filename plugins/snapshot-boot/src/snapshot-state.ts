import { PersistentMap, digestOf, on, type Projection } from '@chronovisor/core';
import {
  MmuConfig,
  memoryRead,
  memoryWritten,
  spaceCreated,
  spaceDestroyed,
} from '@chronovisor/mmu';
import { inject } from 'inversify';
import type { BootPolicy } from './boot-options';
import { cacheBuilt, cacheCorrupt, cacheMapped } from './cache-events';
import type { ImageManifest } from './image';
import {
  identitySet,
  identityShared,
  imageStored,
  pageLoaded,
  vmBooted,
  workingSetSaved,
  type LoadCause,
} from './snapshot-events';

/** An image in the simulated host's storage: never changed once stored, but for its working set. */
export interface StoredImage {
  readonly name: string;
  readonly origin: 'capture' | 'import';
  readonly manifest: ImageManifest;
  /** The pages that are not zero, by guest-physical address. */
  readonly pages: ReadonlyMap<number, Uint8Array>;
  /** The pages a booted VM first touched, in order, if one was saved. */
  readonly workingSet?: readonly number[];
}

/** A VM booted from an image, and what its boot has loaded and its guests have touched. */
export interface BootedVm {
  readonly vm: number;
  readonly image: string;
  readonly policy: BootPolicy;
  readonly guests: readonly number[];
  /** Pages mapped, and the pages the policy prefetched. */
  readonly pages: number;
  readonly prefetched: ReadonlySet<number>;
  /** Pages loaded, and why. */
  readonly loaded: PersistentMap<number, LoadCause>;
  readonly faults: number;
  /** Pages its processes have touched (read, written or fetched), each with its first-touch ordinal. */
  readonly touched: PersistentMap<number, number>;
  /** Its identity bytes, as hex, where the image keeps one. */
  readonly identity?: string;
}

/** A version of the code cache at a path, and the instances that mapped it. */
export interface CodeCacheVersion {
  readonly path: string;
  readonly version: number;
  readonly fingerprint: string;
  readonly store: number;
  readonly va: number;
  readonly pages: number;
  readonly checksum: string;
  /** VMs that mapped this version, in order. */
  readonly instances: readonly number[];
  /** Versions built at this path so far, and how many times a corrupt one was found. */
  readonly rebuilds: number;
  readonly corruptions: number;
}

/** What a snapshot of the plugin's state holds: O(images + VMs + caches). */
export interface SnapshotBootSnapshot {
  readonly images: ReadonlyMap<string, StoredImage>;
  readonly vms: ReadonlyMap<number, BootedVm>;
  readonly caches: ReadonlyMap<string, CodeCacheVersion>;
  readonly hazards: number;
}

/**
 * The images in the simulated host's storage and the VMs booted from them: the snapshot-boot
 * plugin's projection. It follows the MMU's accesses to booted VMs' memory to learn the order in
 * which each VM first touches its pages (the working set REAP records).
 */
export class SnapshotBootState implements Projection<SnapshotBootSnapshot> {
  readonly name = 'snapshot-boot';

  private images = new Map<string, StoredImage>();
  private vms = new Map<number, BootedVm>();
  /** The newest version of the code cache at each path. */
  private caches = new Map<string, CodeCacheVersion>();
  /** Which booted VM a space's accesses touch: the VM itself and its guest processes. */
  private owners = new Map<number, number>();
  private hazards = 0;
  private readonly pageSize: number;

  constructor(@inject(MmuConfig) mmu: MmuConfig) {
    this.pageSize = mmu.pageSize;
  }

  readonly listeners = [
    on(imageStored, ({ data }) => {
      const pages = new Map(data.pages.map((p) => [p.gpa, p.data] as const));
      this.images.set(data.name, {
        name: data.name,
        origin: data.origin,
        manifest: data.manifest,
        pages,
      });
    }),
    on(vmBooted, ({ data }) => {
      const image = this.imageNamed(data.image);
      const prefetched = new Set<number>();
      if (data.policy === 'full')
        for (const run of image.manifest.memory) this.eachPage(run, (gpa) => prefetched.add(gpa));
      if (data.policy === 'working-set')
        for (const gpa of image.workingSet ?? []) prefetched.add(gpa);
      this.vms.set(data.vm, {
        vm: data.vm,
        image: data.image,
        policy: data.policy,
        guests: data.guests,
        pages: data.pages,
        prefetched,
        loaded: PersistentMap.empty(),
        faults: 0,
        touched: PersistentMap.empty(),
        ...(data.identity === undefined ? {} : { identity: data.identity }),
      });
      this.owners = new Map(this.owners).set(data.vm, data.vm);
      for (const guest of data.guests) this.owners.set(guest, data.vm);
    }),
    on(pageLoaded, ({ data }) => {
      const vm = this.live(data.vm);
      this.vms.set(data.vm, {
        ...vm,
        loaded: vm.loaded.set(data.gpa, data.cause),
        faults: vm.faults + (data.cause === 'fault' ? 1 : 0),
      });
    }),
    on(workingSetSaved, ({ data }) => {
      this.images.set(data.image, { ...this.imageNamed(data.image), workingSet: data.pages });
    }),
    on(identitySet, ({ data }) => {
      this.vms.set(data.vm, { ...this.live(data.vm), identity: hexOf(data.token) });
    }),
    on(identityShared, () => {
      this.hazards++;
    }),
    on(cacheBuilt, ({ data }) => {
      const old = this.caches.get(data.path);
      this.caches.set(data.path, {
        path: data.path,
        version: data.version,
        fingerprint: data.fingerprint,
        store: data.store,
        va: data.va,
        pages: data.pages,
        checksum: data.checksum,
        instances: [],
        rebuilds: old ? old.rebuilds + 1 : 0,
        corruptions: old?.corruptions ?? 0,
      });
    }),
    on(cacheCorrupt, ({ data }) => {
      const cache = this.caches.get(data.path)!;
      this.caches.set(data.path, { ...cache, corruptions: cache.corruptions + 1 });
    }),
    on(cacheMapped, ({ data }) => {
      const cache = this.caches.get(data.path)!;
      this.caches.set(data.path, { ...cache, instances: [...cache.instances, data.vm] });
    }),
    on(spaceCreated, ({ data }) => {
      // A guest process the booted guest starts later touches its VM's memory too.
      if (data.kind === 'guest' && data.vm !== undefined && this.vms.has(data.vm))
        this.owners = new Map(this.owners).set(data.space, data.vm);
    }),
    on(spaceDestroyed, ({ data }) => {
      if (!this.owners.has(data.space)) return;
      const owners = new Map(this.owners);
      owners.delete(data.space);
      if (this.vms.has(data.space)) {
        this.vms.delete(data.space);
        for (const [space, vm] of owners) if (vm === data.space) owners.delete(space);
      }
      this.owners = owners;
    }),
    // What the VM's processes touch; the plugin's own writes (a clone's identity) are not theirs.
    on(memoryRead, ({ data, actor }) => {
      if (actor !== OWN_ACTOR) this.touch(data.space, data.va, data.gpa, data.length);
    }),
    on(memoryWritten, ({ data, actor }) => {
      if (actor !== OWN_ACTOR) this.touch(data.space, data.va, data.gpa, data.data.length);
    }),
  ];

  image(name: string): StoredImage | undefined {
    return this.images.get(name);
  }

  allImages(): IterableIterator<StoredImage> {
    return this.images.values();
  }

  vm(space: number): BootedVm | undefined {
    return this.vms.get(space);
  }

  allVms(): IterableIterator<BootedVm> {
    return this.vms.values();
  }

  /** The newest version of the code cache at `path`. */
  cache(path: string): CodeCacheVersion | undefined {
    return this.caches.get(path);
  }

  allCaches(): IterableIterator<CodeCacheVersion> {
    return this.caches.values();
  }

  /** The booted VM whose memory a space's accesses reach, if any. */
  vmOf(space: number): number | undefined {
    return this.owners.get(space);
  }

  /** Clone identity hazards found so far. */
  get hazardCount(): number {
    return this.hazards;
  }

  /** Every page of a run of guest-physical memory. */
  eachPage(run: { gpa: number; pages: number }, visit: (gpa: number) => void): void {
    for (let i = 0; i < run.pages; i++) visit(run.gpa + i * this.pageSize);
  }

  snapshot(): SnapshotBootSnapshot {
    return {
      images: new Map(this.images),
      vms: new Map(this.vms),
      caches: new Map(this.caches),
      hazards: this.hazards,
    };
  }

  restore(snapshot: SnapshotBootSnapshot): void {
    this.images = new Map(snapshot.images);
    this.vms = new Map(snapshot.vms);
    this.caches = new Map(snapshot.caches);
    const owners = new Map<number, number>();
    for (const vm of this.vms.values()) {
      owners.set(vm.vm, vm.vm);
      for (const guest of vm.guests) owners.set(guest, vm.vm);
    }
    // Guests started after boot: kept while their VM lives (their ids are never reused).
    for (const [space, vm] of this.owners) if (this.vms.has(vm)) owners.set(space, vm);
    this.owners = owners;
    this.hazards = snapshot.hazards;
  }

  digest(): string {
    const images = [...this.images.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((i) => [i.name, i.origin, i.pages.size, i.workingSet ?? null]);
    const vms = [...this.vms.values()]
      .sort((a, b) => a.vm - b.vm)
      .map((v) => [
        v.vm,
        v.image,
        v.policy,
        v.guests,
        v.faults,
        v.loaded.sortedEntries(),
        v.touched.sortedEntries(),
        v.identity ?? null,
      ]);
    const caches = [...this.caches.values()]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((c) => [c.path, c.version, c.fingerprint, c.checksum, c.instances, c.corruptions]);
    return digestOf([images, vms, caches, this.hazards]);
  }

  private touch(space: number, va: number, gpa: number | undefined, length: number): void {
    const owner = this.owners.get(space);
    if (owner === undefined) return;
    const vm = this.vms.get(owner);
    if (!vm) return;
    const at = gpa ?? va; // a guest's access names its guest-physical address; the VM's own is one
    const first = at - (at % this.pageSize);
    let touched = vm.touched;
    for (let page = first; page < at + length; page += this.pageSize)
      if (!touched.has(page)) touched = touched.set(page, touched.size);
    if (touched !== vm.touched) this.vms.set(owner, { ...vm, touched });
  }

  private imageNamed(name: string): StoredImage {
    const image = this.images.get(name);
    if (!image)
      throw new Error(`Image ${name} is not stored: its snapshot.image.stored is missing`);
    return image;
  }

  private live(space: number): BootedVm {
    const vm = this.vms.get(space);
    if (!vm)
      throw new Error(
        `Space ${space} was not booted from an image: its snapshot.vm.booted is missing`,
      );
    return vm;
  }
}

/** Who the plugin's own calls act as. */
const OWN_ACTOR = 'plugin:snapshot';

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
