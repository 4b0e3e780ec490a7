import { handle, type CommandHandlers } from '@chronovisor/core';
import { inject } from 'inversify';
import { MmuChecks } from './mmu-checks';
import { createPartition, createSpace, destroySpace, fork } from './mmu-commands';
import { partitionCreated, spaceCreated, spaceDestroyed, spaceForked } from './mmu-events';
import { MmuError, MmuState } from './mmu-state';
import { Pte, pteFlags, pteFrame } from './pte';

/** Partitions and address spaces: `mmu.create-partition`, `mmu.create-space`, `mmu.destroy-space`, `mmu.fork`. */
export class SpaceCommands implements CommandHandlers {
  constructor(
    @inject(MmuState) private readonly state: MmuState,
    @inject(MmuChecks) private readonly checks: MmuChecks,
  ) {}

  readonly handlers = [
    handle(createPartition, ({ name, frames }, context) => {
      const memory = this.state.memory;
      if (memory.partition(name)) throw new MmuError(`Partition "${name}" already exists`);
      const base = memory.unassigned;
      if (base + frames > memory.frameCount) {
        throw new MmuError(
          `Partition "${name}" wants ${frames} frames but only ${memory.frameCount - base} of ${memory.frameCount} are unassigned`,
        );
      }
      context.emit(partitionCreated, { name, base, frames });
      return { base, frames };
    }),

    handle(createSpace, (args, context) => {
      const space = this.state.nextSpaceId;
      if (args.kind === 'guest') {
        const vm = this.state.space(args.vm);
        if (vm.kind !== 'vm')
          throw new MmuError(`Space ${args.vm} is a ${vm.kind} space, not a VM`);
        context.emit(spaceCreated, { space, kind: 'guest', partition: vm.partition, vm: vm.id });
      } else {
        if (!this.state.memory.partition(args.partition))
          throw new MmuError(`There is no partition "${args.partition}"`);
        context.emit(spaceCreated, { space, kind: args.kind, partition: args.partition });
      }
      return space;
    }),

    handle(destroySpace, ({ space: id }, context) => {
      const space = this.state.space(id);
      const guests = this.state.allSpaces().filter((s) => s.vm === id);
      if (guests.length > 0)
        throw new MmuError(
          `VM ${id} still runs guest spaces ${guests.map((g) => g.id).join(', ')}; destroy them first`,
        );
      const freed: number[] = [];
      if (space.kind !== 'guest') {
        const releases = new Map<number, number>();
        space.table.forEach((_vpn, pte) => {
          if ((pteFlags(pte) & Pte.LAZY) === 0)
            releases.set(pteFrame(pte), (releases.get(pteFrame(pte)) ?? 0) + 1);
        });
        for (const [frame, count] of releases)
          if (this.state.memory.refcount(frame) === count) freed.push(frame);
      }
      context.emit(spaceDestroyed, { space: id, freed: freed.sort((a, b) => a - b) });
    }),

    handle(fork, ({ space: id }, context) => {
      const parent = this.state.space(id);
      if (parent.kind === 'vm')
        throw new MmuError(
          `Host and guest spaces fork; space ${id} is a vm space (its guests' memory)`,
        );
      const child = this.state.nextSpaceId;
      context.emit(spaceForked, { parent: id, child });
      // Its writable pages just became read-only to the hardware: cached translations must go.
      const { vaLimit, pageSize } = this.state.config;
      this.checks.shootDown(context, parent, 0, vaLimit / pageSize, 'fork');
      return child;
    }),
  ];
}
