import { Rng, type CommandContext } from '@chronovisor/core';
import { MmuQuery, createSpace, load, map, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { SnapshotBootConfig, type BootPolicy } from './boot-options';
import type { Booted } from './snapshot-commands';
import { SnapshotError } from './snapshot-error';
import {
  identitySet,
  identityShared,
  pageLoaded,
  vmBooted,
  type LoadCause,
} from './snapshot-events';
import { SnapshotBootState, type StoredImage } from './snapshot-state';

/**
 * Boots VMs from images as US9384007B2 claims and Firecracker does: the VMM restores the VM with
 * its whole memory mapped lazily in stage 2, loads only what the policy says before it runs, and
 * loads the rest page by page as the guest touches it (see {@link LazyFaultReactor}).
 */
export class Booter {
  constructor(
    @inject(SnapshotBootState) private readonly state: SnapshotBootState,
    @inject(SnapshotBootConfig) private readonly config: SnapshotBootConfig,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
    @inject(Rng) private readonly rng: Rng,
  ) {}

  boot(
    name: string,
    partition: string,
    policy: BootPolicy = this.config.policy,
    identity: 'fresh' | 'keep',
    context: CommandContext,
  ): Booted {
    const image = this.state.image(name);
    if (!image) throw new SnapshotError(`Image ${name} does not exist; capture or import it first`);
    const { pageSize } = this.mmu.config;
    if (image.manifest.pageSize !== pageSize)
      throw new SnapshotError(
        `Image ${name} has ${image.manifest.pageSize}-byte pages; this MMU's are ${pageSize} bytes`,
      );
    if (policy === 'working-set' && !image.workingSet)
      throw new SnapshotError(
        `Image ${name} has no working set yet: boot it once (lazy), run the workload, then snapshot.save-working-set`,
      );
    const vm = context.call(createSpace, { kind: 'vm', partition });
    let pages = 0;
    for (const run of image.manifest.memory) {
      context.call(map, {
        space: vm,
        va: run.gpa,
        pages: run.pages,
        perms: run.perms,
        kernel: false,
        lazy: true,
      });
      pages += run.pages;
    }
    const guests = image.manifest.guests.map(({ mappings }) => {
      const guest = context.call(createSpace, { kind: 'guest', vm });
      for (const m of mappings)
        context.call(map, {
          space: guest,
          va: m.va,
          pages: m.pages,
          perms: m.perms,
          kernel: false,
          lazy: false,
          to: m.gpa,
        });
      return guest;
    });
    const prefetch = this.prefetchList(image, policy);
    const held = this.identityOf(image);
    context.emit(vmBooted, {
      vm,
      image: name,
      policy,
      guests,
      pages,
      prefetch: prefetch.length,
      ...(held === undefined ? {} : { identity: held }),
    });
    for (const gpa of prefetch) this.load(vm, gpa, 'prefetch', context);
    const place = image.manifest.identity;
    if (place && identity === 'fresh') {
      const token = new Uint8Array(place.length);
      for (let i = 0; i < token.length; i++) token[i] = this.rng.nextInt(0, 255);
      for (
        let page = place.gpa - (place.gpa % pageSize);
        page < place.gpa + place.length;
        page += pageSize
      )
        this.load(vm, page, 'identity', context);
      context.call(write, { space: vm, va: place.gpa, data: token });
      context.emit(identitySet, { vm, gpa: place.gpa, token });
    } else if (place && held !== undefined) {
      const clones = [...this.state.allVms()]
        .filter((v) => v.vm !== vm && v.identity === held)
        .map((v) => v.vm);
      if (clones.length > 0)
        context.emit(identityShared, { vm, image: name, with: clones, gpa: place.gpa });
    }
    return { vm, guests };
  }

  /** Loads a page of a booted VM from its image (zeros where the image holds none), unless loaded. */
  load(vm: number, gpa: number, cause: LoadCause, context: CommandContext): void {
    const booted = this.state.vm(vm);
    if (!booted) throw new SnapshotError(`Space ${vm} was not booted from an image`);
    if (booted.loaded.has(gpa)) return;
    const data = this.state.image(booted.image)!.pages.get(gpa);
    context.call(load, data ? { space: vm, va: gpa, data } : { space: vm, va: gpa });
    context.emit(pageLoaded, {
      vm,
      gpa,
      length: this.mmu.config.pageSize,
      cause,
      stored: data !== undefined,
    });
  }

  /** The pages to load before the VM runs, in the order they load. */
  private prefetchList(image: StoredImage, policy: BootPolicy): number[] {
    if (policy === 'lazy') return [];
    if (policy === 'working-set') return [...image.workingSet!];
    const all: number[] = [];
    for (const run of image.manifest.memory) this.state.eachPage(run, (gpa) => all.push(gpa));
    return all;
  }

  /** The identity bytes (hex) the image holds, where it keeps one. */
  private identityOf(image: StoredImage): string | undefined {
    const place = image.manifest.identity;
    if (!place) return undefined;
    const { pageSize } = this.mmu.config;
    const bytes = new Uint8Array(place.length);
    for (let i = 0; i < place.length; i++) {
      const at = place.gpa + i;
      const page = image.pages.get(at - (at % pageSize));
      bytes[i] = page ? page[at % pageSize]! : 0;
    }
    return Buffer.from(bytes).toString('hex');
  }
}
