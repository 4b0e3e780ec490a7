import { parserFor, type CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import { z } from 'zod';
import type { AddressSpace } from './address-space';
import { address, bytes, pageCount, partitionName, perms, spaceId } from './args';
import type { IsolationViolated } from './mmu-events';
import { MmuHandler } from './mmu-handler';
import { MmuError } from './mmu-state';
import { Pte, permsToFlags, pteFlags, pteFrame } from './pte';

const mapArgs = z
  .object({
    space: spaceId,
    va: address,
    pages: pageCount,
    perms: perms.default('rw-'),
    /** Supervisor-only pages (no USER bit). */
    kernel: z.boolean().default(false),
    /** Map the pages as in the image but not loaded: the first access faults (`lazy`). */
    lazy: z.boolean().default(false),
    /** For a guest space: the guest-physical address the pages map to. */
    to: address.optional(),
  })
  .strict();
type MapArgs = z.output<typeof mapArgs>;

/**
 * `mmu.map`: maps pages. A host or VM space gets fresh frames from its partition (the lowest free
 * ones, zeroed); a guest space maps to guest-physical pages (`to`), which its VM's stage-2 table
 * must back; a lazy mapping takes no frame until `mmu.load`. Returns the frames.
 */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class MapHandler extends MmuHandler<MapArgs, number[]> {
  readonly type = 'mmu.map';
  readonly description =
    'Map `pages` pages at `va` in `space`, to fresh frames (host, VM), guest-physical `to` (guest) or lazily.';
  readonly parse = parserFor(mapArgs, `command ${this.type}`);

  execute(args: MapArgs, context: CommandContext): number[] {
    const space = this.state.space(args.space);
    this.checkRange(args.va, args.pages);
    this.checkFree(space, args.va, args.pages);
    const flags = permsToFlags(args.perms, args.kernel) | (args.lazy ? Pte.LAZY : Pte.PRESENT);
    const frames = this.frames(space, args);
    context.emit('mmu.pages.mapped', {
      space: space.id,
      va: args.va,
      pages: args.pages,
      flags,
      frames,
    });
    return frames;
  }

  private frames(space: AddressSpace, args: MapArgs): number[] {
    if (space.kind === 'guest') {
      if (args.to === undefined)
        throw new MmuError(
          `Mapping in guest space ${space.id} needs \`to\`, the guest-physical address`,
        );
      if (args.lazy)
        throw new MmuError(
          'Guest spaces map guest frames, which are never lazy; map the VM lazily instead',
        );
      this.checkRange(args.to, args.pages, 'to');
      const first = this.state.vpn(args.to);
      return Array.from({ length: args.pages }, (_, i) => first + i);
    }
    if (args.to !== undefined) {
      throw new MmuError(
        `Space ${space.id} is a ${space.kind} space: it gets fresh frames, so \`to\` is only for guest spaces (use mmu.share to map existing frames)`,
      );
    }
    if (args.lazy) return [];
    const frames = this.state.memory.findFree(space.partition, args.pages);
    if (!frames) {
      const memory = this.state.memory;
      const partition = memory.partition(space.partition)!;
      throw new MmuError(
        `Partition "${space.partition}" has ${partition.frames - memory.usedFrames(space.partition)} free frames of ${partition.frames}; ${args.pages} needed`,
      );
    }
    return frames;
  }
}

const rangeArgs = z.object({ space: spaceId, va: address, pages: pageCount }).strict();
type RangeArgs = z.output<typeof rangeArgs>;

/** `mmu.unmap`: unmaps pages (those not mapped are skipped, as munmap does) and shoots down their TLB entries. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class UnmapHandler extends MmuHandler<RangeArgs> {
  readonly type = 'mmu.unmap';
  readonly description =
    'Unmap `pages` pages at `va` in `space`; frames nobody holds any more are freed.';
  readonly parse = parserFor(rangeArgs, `command ${this.type}`);

  execute({ space: id, va, pages }: RangeArgs, context: CommandContext): void {
    const space = this.state.space(id);
    this.checkRange(va, pages);
    const releases = new Map<number, number>();
    const first = this.state.vpn(va);
    let mapped = 0;
    for (let vpn = first; vpn < first + pages; vpn++) {
      const pte = space.table.get(vpn);
      if (pte === 0) continue;
      mapped++;
      if (space.kind !== 'guest' && (pteFlags(pte) & Pte.LAZY) === 0) {
        releases.set(pteFrame(pte), (releases.get(pteFrame(pte)) ?? 0) + 1);
      }
    }
    if (mapped === 0) return;
    const freed = [...releases]
      .filter(([frame, count]) => this.state.memory.refcount(frame) === count)
      .map(([frame]) => frame);
    context.emit('mmu.pages.unmapped', {
      space: id,
      va,
      pages,
      freed: freed.sort((a, b) => a - b),
    });
    this.shootDown(context, space, va, pages, 'unmap');
  }
}

const protectArgs = z
  .object({
    space: spaceId,
    va: address,
    pages: pageCount,
    perms,
    kernel: z.boolean().default(false),
  })
  .strict();

/** `mmu.protect`: changes permissions of mapped pages (all must be mapped, as mprotect demands). */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ProtectHandler extends MmuHandler<z.output<typeof protectArgs>> {
  readonly type = 'mmu.protect';
  readonly description = 'Give `pages` mapped pages at `va` in `space` the permissions `perms`.';
  readonly parse = parserFor(protectArgs, `command ${this.type}`);

  execute(
    { space: id, va, pages, perms: letters, kernel }: z.output<typeof protectArgs>,
    context: CommandContext,
  ): void {
    const space = this.state.space(id);
    this.checkRange(va, pages);
    this.mapped(space, va, pages);
    context.emit('mmu.pages.protected', {
      space: id,
      va,
      pages,
      perms: permsToFlags(letters, kernel),
    });
    this.shootDown(context, space, va, pages, 'protect');
  }
}

const moveArgs = z
  .object({ from: spaceId, va: address, pages: pageCount, to: spaceId, toVa: address })
  .strict();
const shareArgs = moveArgs.extend({ perms: perms.default('rw-') }).strict();

/** Shared by share and remap: both move frames of host or VM spaces between spaces. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
abstract class FrameMoveHandler<A> extends MmuHandler<
  A,
  { ok: true } | { ok: false; violation: IsolationViolated }
> {
  protected checkMove(
    from: AddressSpace,
    to: AddressSpace,
    va: number,
    toVa: number,
    pages: number,
  ): number[] {
    this.requireHostFrames(from);
    this.requireHostFrames(to);
    this.checkRange(va, pages);
    this.checkRange(toVa, pages, 'toVa');
    const ptes = this.mapped(from, va, pages);
    if (from.id === to.id && Math.abs(toVa - va) < pages * this.state.config.pageSize) {
      throw new MmuError(`The source and target ranges of space ${from.id} overlap`);
    }
    this.checkFree(to, toVa, pages);
    return ptes;
  }

  /** The first frame the target's partition may not map, recorded as a violation; else undefined. */
  protected violation(
    op: IsolationViolated['op'],
    to: AddressSpace,
    ptes: readonly number[],
    context: CommandContext,
  ) {
    const memory = this.state.memory;
    for (const pte of ptes) {
      if ((pteFlags(pte) & Pte.LAZY) !== 0) continue;
      const frame = pteFrame(pte);
      if (memory.accessibleTo(frame, to.partition)) continue;
      const found: IsolationViolated = {
        op,
        space: to.id,
        frame,
        partition: to.partition,
        owner: memory.ownerOf(frame)?.name ?? '(none)',
      };
      context.emit('mmu.isolation.violated', found);
      return found;
    }
    return undefined;
  }
}

/** `mmu.share`: maps another space's frames here too (both marked shared). Refused across partitions unless exported. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ShareHandler extends FrameMoveHandler<z.output<typeof shareArgs>> {
  readonly type = 'mmu.share';
  readonly description = "Map `from`'s frames at `va` into `to` at `toVa` as well, with `perms`.";
  readonly parse = parserFor(shareArgs, `command ${this.type}`);

  execute(args: z.output<typeof shareArgs>, context: CommandContext) {
    const from = this.state.space(args.from);
    const to = this.state.space(args.to);
    const ptes = this.checkMove(from, to, args.va, args.toVa, args.pages);
    ptes.forEach((pte, i) => {
      const flags = pteFlags(pte);
      const at = (args.va + i * this.state.config.pageSize).toString(16);
      if (flags & Pte.LAZY)
        throw new MmuError(
          `Page 0x${at} of space ${from.id} is not loaded yet; load it before sharing it`,
        );
      if (flags & Pte.COW)
        throw new MmuError(
          `Page 0x${at} of space ${from.id} is copy-on-write; write to it before sharing it`,
        );
    });
    const violation = this.violation('share', to, ptes, context);
    if (violation) return { ok: false as const, violation };
    context.emit('mmu.pages.shared', { ...args, perms: permsToFlags(args.perms) });
    return { ok: true as const };
  }
}

/** `mmu.remap`: moves frames from one space to another without copying (migration by remapping). */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class RemapHandler extends FrameMoveHandler<z.output<typeof moveArgs>> {
  readonly type = 'mmu.remap';
  readonly description =
    'Move the frames at `va` in `from` to `toVa` in `to`, without copying them.';
  readonly parse = parserFor(moveArgs, `command ${this.type}`);

  execute(args: z.output<typeof moveArgs>, context: CommandContext) {
    const from = this.state.space(args.from);
    const to = this.state.space(args.to);
    const ptes = this.checkMove(from, to, args.va, args.toVa, args.pages);
    const violation = this.violation('remap', to, ptes, context);
    if (violation) return { ok: false as const, violation };
    context.emit('mmu.pages.remapped', args);
    this.shootDown(context, from, args.va, args.pages, 'remap');
    return { ok: true as const };
  }
}

const exportArgs = z
  .object({ space: spaceId, va: address, pages: pageCount, partition: partitionName })
  .strict();

/** `mmu.export`: marks the frames behind a range shared with another partition, whose spaces may then map them. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ExportHandler extends MmuHandler<z.output<typeof exportArgs>, number[]> {
  readonly type = 'mmu.export';
  readonly description =
    'Mark the frames behind `pages` pages at `va` in `space` shared with `partition`.';
  readonly parse = parserFor(exportArgs, `command ${this.type}`);

  execute(
    { space: id, va, pages, partition }: z.output<typeof exportArgs>,
    context: CommandContext,
  ): number[] {
    const space = this.state.space(id);
    this.requireHostFrames(space);
    this.checkRange(va, pages);
    if (!this.state.memory.partition(partition))
      throw new MmuError(`There is no partition "${partition}"`);
    const frames = this.mapped(space, va, pages)
      .filter((pte) => (pteFlags(pte) & Pte.LAZY) === 0)
      .map(pteFrame);
    context.emit('mmu.frames.exported', { frames, partition });
    return frames;
  }
}

const loadArgs = z.object({ space: spaceId, va: address, data: bytes.optional() }).strict();

/** `mmu.load`: gives a lazy page its frame, and optionally its contents (snapshot boot's page-in). */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class LoadHandler extends MmuHandler<z.output<typeof loadArgs>, number> {
  readonly type = 'mmu.load';
  readonly description =
    'Load lazy page `va` of `space`: a fresh frame, filled with `data` if given; returns the frame.';
  readonly parse = parserFor(loadArgs, `command ${this.type}`);

  execute({ space: id, va, data }: z.output<typeof loadArgs>, context: CommandContext): number {
    const space = this.state.space(id);
    this.requireHostFrames(space);
    this.checkRange(va, 1);
    const [pte] = this.mapped(space, va, 1);
    if ((pteFlags(pte!) & Pte.LAZY) === 0)
      throw new MmuError(`Page 0x${va.toString(16)} of space ${id} is already loaded`);
    if (data && data.length > this.state.config.pageSize) {
      throw new MmuError(
        `${data.length} bytes do not fit a ${this.state.config.pageSize}-byte page`,
      );
    }
    const [frame] = this.state.memory.findFree(space.partition, 1) ?? [];
    if (frame === undefined)
      throw new MmuError(
        `Partition "${space.partition}" has no free frame to load 0x${va.toString(16)} into`,
      );
    context.emit('mmu.page.loaded', {
      space: id,
      va,
      frame,
      data: data ? data.slice() : new Uint8Array(0),
    });
    return frame;
  }
}

const markArgs = z
  .object({
    space: spaceId,
    va: address,
    pages: pageCount,
    /** Software bits to set and to clear, as a mask of Pte.SOFTWARE bits. */
    set: z.number().int().min(0).default(0),
    clear: z.number().int().min(0).default(0),
  })
  .strict();

/** `mmu.mark`: sets or clears the entries' software bits, which plugins use and the MMU never reads. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class MarkHandler extends MmuHandler<z.output<typeof markArgs>> {
  readonly type = 'mmu.mark';
  readonly description =
    'Set bits `set` and clear bits `clear` (software bits only) in `pages` mapped pages at `va`.';
  readonly parse = parserFor(markArgs, `command ${this.type}`);

  execute(
    { space: id, va, pages, set, clear }: z.output<typeof markArgs>,
    context: CommandContext,
  ): void {
    const outside = (set | clear) & ~Pte.SOFTWARE;
    if (outside !== 0) {
      throw new MmuError(
        `Bits 0x${outside.toString(16)} are not software bits (0x${Pte.SOFTWARE.toString(16)}); the MMU owns the others`,
      );
    }
    const space = this.state.space(id);
    this.checkRange(va, pages);
    this.mapped(space, va, pages);
    context.emit('mmu.pages.marked', { space: id, va, pages, set, clear });
  }
}
