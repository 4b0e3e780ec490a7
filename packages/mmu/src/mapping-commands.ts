import { handle, type ArgsOf, type CommandContext, type CommandHandlers } from '@chronovisor/core';
import { inject } from 'inversify';
import type { AddressSpace } from './address-space';
import { freeGuestPages } from './guest-pages';
import { MmuChecks } from './mmu-checks';
import {
  exportCommand,
  load,
  map,
  mark,
  protect,
  remap,
  share,
  unmap,
  type MoveOutcome,
} from './mmu-commands';
import {
  framesExported,
  isolationViolated,
  pageLoaded,
  pagesMapped,
  pagesMarked,
  pagesProtected,
  pagesRemapped,
  pagesShared,
  pagesUnmapped,
  type IsolationViolated,
} from './mmu-events';
import { MmuError, MmuState } from './mmu-state';
import { Pte, permsToFlags, pteFlags, pteFrame } from './pte';

/**
 * Page mappings: `mmu.map`, `mmu.unmap`, `mmu.protect`, `mmu.share`, `mmu.remap`, `mmu.export`,
 * `mmu.load` and `mmu.mark`.
 */
export class MappingCommands implements CommandHandlers {
  constructor(
    @inject(MmuState) private readonly state: MmuState,
    @inject(MmuChecks) private readonly checks: MmuChecks,
  ) {}

  readonly handlers = [
    handle(map, (args, context) => {
      const space = this.state.space(args.space);
      this.checks.checkRange(map, args.va, args.pages);
      this.checks.checkFree(space, args.va, args.pages);
      const flags = permsToFlags(args.perms, args.kernel) | (args.lazy ? Pte.LAZY : Pte.PRESENT);
      const frames = this.framesToMap(space, args);
      context.emit(pagesMapped, { space: space.id, va: args.va, pages: args.pages, flags, frames });
      return frames.slice(); // the caller's own: the event's list belongs to the log
    }),

    handle(unmap, ({ space: id, va, pages }, context) => {
      const space = this.state.space(id);
      this.checks.checkRange(unmap, va, pages);
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
      context.emit(pagesUnmapped, { space: id, va, pages, freed: freed.sort((a, b) => a - b) });
      this.checks.shootDown(context, space, va, pages, 'unmap');
    }),

    handle(protect, ({ space: id, va, pages, perms, kernel }, context) => {
      const space = this.state.space(id);
      this.checks.checkRange(protect, va, pages);
      this.checks.mapped(space, va, pages);
      context.emit(pagesProtected, { space: id, va, pages, perms: permsToFlags(perms, kernel) });
      this.checks.shootDown(context, space, va, pages, 'protect');
    }),

    handle(share, (args, context): MoveOutcome => {
      const from = this.state.space(args.from);
      const to = this.state.space(args.to);
      const ptes = this.checkMove(share, from, to, args);
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
      // Between guests of one VM, the same guest-physical pages: no host frame changes hands.
      const violation =
        from.kind === 'guest' ? undefined : this.violation('share', to, ptes, context);
      if (violation) return { ok: false, violation };
      context.emit(pagesShared, { ...args, perms: permsToFlags(args.perms) });
      return { ok: true };
    }),

    handle(remap, (args, context): MoveOutcome => {
      const from = this.state.space(args.from);
      const to = this.state.space(args.to);
      const ptes = this.checkMove(remap, from, to, args);
      const violation = this.violation('remap', to, ptes, context);
      if (violation) return { ok: false, violation };
      context.emit(pagesRemapped, args);
      this.checks.shootDown(context, from, args.va, args.pages, 'remap');
      return { ok: true };
    }),

    handle(exportCommand, ({ space: id, va, pages, partition }, context) => {
      const space = this.state.space(id);
      this.checks.requireHostFrames(exportCommand, space);
      this.checks.checkRange(exportCommand, va, pages);
      if (!this.state.memory.partition(partition))
        throw new MmuError(`There is no partition "${partition}"`);
      const frames = this.checks
        .mapped(space, va, pages)
        .filter((pte) => (pteFlags(pte) & Pte.LAZY) === 0)
        .map(pteFrame);
      context.emit(framesExported, { frames, partition });
      return frames.slice(); // the caller's own: the event's list belongs to the log
    }),

    handle(load, ({ space: id, va, data }, context) => {
      const space = this.state.space(id);
      this.checks.requireHostFrames(load, space);
      this.checks.checkRange(load, va, 1);
      const [pte] = this.checks.mapped(space, va, 1);
      if ((pteFlags(pte!) & Pte.LAZY) === 0)
        throw new MmuError(`Page 0x${va.toString(16)} of space ${id} is already loaded`);
      const { pageSize } = this.state.config;
      if (data && data.length > pageSize)
        throw new MmuError(`${data.length} bytes do not fit a ${pageSize}-byte page`);
      const [frame] = this.state.memory.findFree(space.partition, 1) ?? [];
      if (frame === undefined)
        throw new MmuError(
          `Partition "${space.partition}" has no free frame to load 0x${va.toString(16)} into`,
        );
      // A copy: the log must keep what was loaded, whatever the caller does with its buffer.
      const bytes = data ? data.slice() : new Uint8Array(0);
      context.emit(pageLoaded, { space: id, va, frame, data: bytes });
      return frame;
    }),

    handle(mark, ({ space: id, va, pages, set, clear }, context) => {
      const outside = (set | clear) & ~Pte.SOFTWARE;
      if (outside !== 0) {
        throw new MmuError(
          `Bits 0x${outside.toString(16)} are not software bits (0x${Pte.SOFTWARE.toString(16)}); the MMU owns the others`,
        );
      }
      const space = this.state.space(id);
      this.checks.checkRange(mark, va, pages);
      this.checks.mapped(space, va, pages);
      context.emit(pagesMarked, { space: id, va, pages, set, clear });
    }),
  ];

  /** The frames `mmu.map` maps: guest frames, fresh host frames, or none for a lazy mapping. */
  private framesToMap(space: AddressSpace, args: ArgsOf<typeof map>): number[] {
    if (space.kind === 'guest') {
      if (args.lazy)
        throw new MmuError(
          'Guest spaces map guest frames, which are never lazy; map the VM lazily instead',
        );
      if (args.to === undefined) {
        const free = freeGuestPages(this.state, space, args.pages);
        if (free.length < args.pages)
          throw new MmuError(
            `VM ${space.vm} has ${free.length} guest-physical pages free for guest space ${space.id}; ${args.pages} needed`,
          );
        return free;
      }
      this.checks.checkRange(map, args.to, args.pages, 'to');
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

  /**
   * Share and remap move frames of host or VM spaces between spaces (share also guest-physical
   * pages between guests of one VM): the checks both make.
   */
  private checkMove(
    command: typeof share | typeof remap,
    from: AddressSpace,
    to: AddressSpace,
    { va, toVa, pages }: { va: number; toVa: number; pages: number },
  ): number[] {
    const betweenGuests = command === share && from.kind === 'guest' && to.kind === 'guest';
    if (betweenGuests && from.vm !== to.vm)
      throw new MmuError(
        `Guest spaces ${from.id} and ${to.id} run in different VMs: they share no guest-physical pages`,
      );
    if (!betweenGuests) {
      this.checks.requireHostFrames(command, from);
      this.checks.requireHostFrames(command, to);
    }
    this.checks.checkRange(command, va, pages);
    this.checks.checkRange(command, toVa, pages, 'toVa');
    const ptes = this.checks.mapped(from, va, pages);
    if (from.id === to.id && Math.abs(toVa - va) < pages * this.state.config.pageSize) {
      throw new MmuError(`The source and target ranges of space ${from.id} overlap`);
    }
    this.checks.checkFree(to, toVa, pages);
    return ptes;
  }

  /** The first frame the target's partition may not map, recorded as a violation; else undefined. */
  private violation(
    op: IsolationViolated['op'],
    to: AddressSpace,
    ptes: readonly number[],
    context: CommandContext,
  ): IsolationViolated | undefined {
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
      context.emit(isolationViolated, found);
      return found;
    }
    return undefined;
  }
}
