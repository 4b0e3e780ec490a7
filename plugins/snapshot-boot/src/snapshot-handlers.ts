import { handle, type CommandHandlers } from '@chronovisor/core';
import { MmuConfig } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Booter } from './booter';
import { Capturer } from './capturer';
import { CodeCache } from './code-cache';
import {
  boot,
  cacheOpen,
  capture,
  faultIn,
  importImage,
  saveWorkingSet,
} from './snapshot-commands';
import { SnapshotError } from './snapshot-error';
import { imageStored, workingSetSaved } from './snapshot-events';
import { SnapshotBootState } from './snapshot-state';

/** The snapshot-boot plugin's commands: capture, import, boot, fault-in, save-working-set. */
export class SnapshotHandlers implements CommandHandlers {
  constructor(
    @inject(SnapshotBootState) private readonly state: SnapshotBootState,
    @inject(Capturer) private readonly capturer: Capturer,
    @inject(Booter) private readonly booter: Booter,
    @inject(MmuConfig) private readonly mmu: MmuConfig,
    @inject(CodeCache) private readonly cache: CodeCache,
  ) {}

  readonly handlers = [
    handle(capture, ({ vm, name, vcpu, identity }, context) => {
      this.capturer.capture(vm, name, { vcpu, ...(identity ? { identity } : {}) }, context);
    }),

    handle(importImage, ({ image }, context) => {
      const { name, pageSize } = image.manifest;
      if (this.state.image(name))
        throw new SnapshotError(`Image ${name} already exists: images are never overwritten`);
      if (pageSize !== this.mmu.pageSize)
        throw new SnapshotError(
          `Image ${name} has ${pageSize}-byte pages; this MMU's are ${this.mmu.pageSize} bytes`,
        );
      context.emit(imageStored, {
        name,
        origin: 'import',
        manifest: image.manifest,
        pages: image.pages,
      });
    }),

    handle(boot, ({ image, partition, policy, identity }, context) =>
      this.booter.boot(image, partition, policy, identity, context),
    ),

    handle(faultIn, ({ vm, gpa }, context) => {
      if (gpa % this.mmu.pageSize !== 0)
        throw new SnapshotError(`0x${gpa.toString(16)} is not the start of a page`);
      this.booter.load(vm, gpa, 'fault', context);
    }),

    handle(saveWorkingSet, ({ vm }, context) => {
      const booted = this.state.vm(vm);
      if (!booted) throw new SnapshotError(`Space ${vm} was not booted from an image`);
      const pages = [...booted.touched].sort((a, b) => a[1] - b[1]).map(([gpa]) => gpa);
      context.emit(workingSetSaved, { image: booted.image, vm, pages });
    }),

    handle(cacheOpen, ({ vm, path, gpa, fingerprint }, context) =>
      this.cache.open(vm, path, fingerprint, gpa, context),
    ),
  ];
}
