import { handle, type CommandHandlers } from '@chronovisor/core';
import { MmuConfig } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Checkpointer } from './checkpointer';
import { Migrator } from './migrator';
import { checkpoint, importImage, migrate, restore } from './proc-commands';
import { ProcError } from './proc-error';
import { imageStored } from './proc-events';
import { ProcState } from './proc-state';
import { Restorer } from './restorer';

/** Checkpoint, import, restore and migrate. */
export class CheckpointHandlers implements CommandHandlers {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(Checkpointer) private readonly checkpointer: Checkpointer,
    @inject(Restorer) private readonly restorer: Restorer,
    @inject(Migrator) private readonly migrator: Migrator,
    @inject(MmuConfig) private readonly mmu: MmuConfig,
  ) {}

  readonly handlers = [
    handle(checkpoint, ({ domain, root, name }, context) =>
      this.checkpointer.checkpoint(domain, root, name, context),
    ),

    handle(importImage, ({ image }, context) => {
      if (this.state.image(image.name)) throw new ProcError(`Image ${image.name} already exists`);
      if (image.pageSize !== this.mmu.pageSize)
        throw new ProcError(
          `Image ${image.name} has ${image.pageSize}-byte pages; this MMU's are ${this.mmu.pageSize} bytes`,
        );
      context.emit(imageStored, { image });
    }),

    handle(restore, ({ image, domain, failAt }, context) =>
      this.restorer.restore(image, domain, failAt, context),
    ),

    handle(migrate, ({ domain, pid, to, mode }, context) =>
      this.migrator.migrate(domain, pid, to, mode, context),
    ),
  ];
}
