import { parserFor, type CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import { z } from 'zod';
import { partitionName, spaceId } from './args';
import { MmuHandler } from './mmu-handler';
import { MmuError } from './mmu-state';
import { Pte, pteFlags, pteFrame } from './pte';

const createPartitionArgs = z
  .object({ name: partitionName, frames: z.number().int().min(1) })
  .strict();

/** `mmu.create-partition`: gives a named partition the next `frames` unassigned frames. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class CreatePartitionHandler extends MmuHandler<
  z.output<typeof createPartitionArgs>,
  { base: number; frames: number }
> {
  readonly type = 'mmu.create-partition';
  readonly description = 'Give partition `name` the next `frames` unassigned physical frames.';
  readonly parse = parserFor(createPartitionArgs, `command ${this.type}`);

  execute({ name, frames }: z.output<typeof createPartitionArgs>, context: CommandContext) {
    const memory = this.state.memory;
    if (memory.partition(name)) throw new MmuError(`Partition "${name}" already exists`);
    const base = memory.unassigned;
    if (base + frames > memory.frameCount) {
      throw new MmuError(
        `Partition "${name}" wants ${frames} frames but only ${memory.frameCount - base} of ${memory.frameCount} are unassigned`,
      );
    }
    context.emit('mmu.partition.created', { name, base, frames });
    return { base, frames };
  }
}

const createSpaceArgs = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('host'), partition: partitionName }).strict(),
  z.object({ kind: z.literal('vm'), partition: partitionName }).strict(),
  z.object({ kind: z.literal('guest'), vm: spaceId }).strict(),
]);

/** `mmu.create-space`: a host process space or a VM in a partition, or a guest process space in a VM. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class CreateSpaceHandler extends MmuHandler<z.output<typeof createSpaceArgs>, number> {
  readonly type = 'mmu.create-space';
  readonly description =
    'Create a `host` or `vm` space in `partition`, or a `guest` space in VM `vm`; returns its id.';
  readonly parse = parserFor(createSpaceArgs, `command ${this.type}`);

  execute(args: z.output<typeof createSpaceArgs>, context: CommandContext): number {
    const space = this.state.nextSpaceId;
    if (args.kind === 'guest') {
      const vm = this.state.space(args.vm);
      if (vm.kind !== 'vm') throw new MmuError(`Space ${args.vm} is a ${vm.kind} space, not a VM`);
      context.emit('mmu.space.created', {
        space,
        kind: 'guest',
        partition: vm.partition,
        vm: vm.id,
      });
    } else {
      if (!this.state.memory.partition(args.partition))
        throw new MmuError(`There is no partition "${args.partition}"`);
      context.emit('mmu.space.created', { space, kind: args.kind, partition: args.partition });
    }
    return space;
  }
}

const oneSpace = z.object({ space: spaceId }).strict();

/** `mmu.destroy-space`: tears a space down, releasing its frames. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class DestroySpaceHandler extends MmuHandler<z.output<typeof oneSpace>> {
  readonly type = 'mmu.destroy-space';
  readonly description = 'Tear down space `space`, releasing every frame it holds.';
  readonly parse = parserFor(oneSpace, `command ${this.type}`);

  execute({ space: id }: z.output<typeof oneSpace>, context: CommandContext): void {
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
    context.emit('mmu.space.destroyed', { space: id, freed: freed.sort((a, b) => a - b) });
  }
}

/** `mmu.fork`: copies a host space copy-on-write, as fork(2) does. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ForkHandler extends MmuHandler<z.output<typeof oneSpace>, number> {
  readonly type = 'mmu.fork';
  readonly description = 'Copy host space `space` copy-on-write into a new space; returns its id.';
  readonly parse = parserFor(oneSpace, `command ${this.type}`);

  execute({ space: id }: z.output<typeof oneSpace>, context: CommandContext): number {
    const parent = this.state.space(id);
    if (parent.kind !== 'host')
      throw new MmuError(`Only host spaces fork; space ${id} is a ${parent.kind} space`);
    const child = this.state.nextSpaceId;
    context.emit('mmu.space.forked', { parent: id, child });
    // Its writable pages just became read-only to the hardware: cached translations must go.
    this.shootDown(
      context,
      parent,
      0,
      this.state.config.vaLimit / this.state.config.pageSize,
      'fork',
    );
    return child;
  }
}
