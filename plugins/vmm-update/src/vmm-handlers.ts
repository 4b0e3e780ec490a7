import { handle, type CommandHandlers } from '@chronovisor/core';
import { MmuQuery, createSpace, map, protect, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { satisfies } from 'semver';
import { Updater } from './updater';
import { attach, busy, install, update } from './vmm-commands';
import { VmmError } from './vmm-error';
import { guestAttached, guestBusy, vmmInstalled } from './vmm-events';
import { VmmState } from './vmm-state';

/** Where the VMM's code is first mapped in its space. */
const CODE_VA = 0x10_0000;

/** The VMM's commands: install, attach a guest, mark a guest busy, update. */
export class VmmHandlers implements CommandHandlers {
  constructor(
    @inject(VmmState) private readonly state: VmmState,
    @inject(Updater) private readonly updater: Updater,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  readonly handlers = [
    handle(install, ({ partition, version, pages, hypercalls, compatible }, context) => {
      if (this.state.vmm)
        throw new VmmError(`A VMM (${this.state.vmm.version}) is installed already: update it`);
      const space = context.call(createSpace, { kind: 'host', partition });
      // Loaded as a loader does: written, then made read-and-execute only.
      context.call(map, { space, va: CODE_VA, pages, perms: 'rw-', kernel: true, lazy: false });
      // Its code: the version's bytes at the start, so a memory dump says which VMM runs.
      const data = new TextEncoder().encode(`VMM ${version}`);
      const written = context.call(write, { space, va: CODE_VA, data, kernel: true });
      if (!written.ok)
        throw new VmmError(`The VMM's code could not be written: a ${written.fault.kind} fault`);
      context.call(protect, { space, va: CODE_VA, pages, perms: 'r-x', kernel: true });
      context.emit(vmmInstalled, {
        version,
        partition,
        space,
        va: CODE_VA,
        pages,
        hypercalls,
        compatible,
      });
    }),

    handle(attach, ({ vm, extensions }, context) => {
      const vmm = this.state.vmm;
      if (!vmm) throw new VmmError('No VMM is installed: vmm.install first');
      if (this.mmu.spaces().find((s) => s.id === vm)?.kind !== 'vm') throw new VmError(vm);
      if (this.state.isAttached(vm)) throw new VmmError(`VM ${vm} is attached already`);
      for (const [name, v] of Object.entries(extensions)) {
        const range = vmm.compatible[name];
        if (range !== undefined && !satisfies(v, range))
          throw new VmmError(
            `Extension ${name} ${v} does not work with VMM ${vmm.version}, which takes ${range}`,
          );
      }
      context.emit(guestAttached, { vm, extensions });
    }),

    handle(busy, ({ vm, busy: isBusy }, context) => {
      if (!this.state.isAttached(vm)) throw new VmmError(`VM ${vm} is not attached to the VMM`);
      context.emit(guestBusy, { vm, busy: isBusy });
    }),

    handle(update, ({ from, package: bytes, failAt }, context) =>
      this.updater.update(from, bytes, failAt, context),
    ),
  ];
}

/** A space that is not a VM, named. */
class VmError extends VmmError {
  constructor(space: number) {
    super(`Space ${space} is not a VM (kind vm): only VMs run on the VMM`);
  }
}
