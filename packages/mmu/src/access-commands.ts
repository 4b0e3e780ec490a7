import { handle, type CommandContext, type CommandHandlers } from '@chronovisor/core';
import { inject } from 'inversify';
import type { AddressSpace } from './address-space';
import { read, write, type ReadOutcome, type WriteOutcome } from './mmu-commands';
import {
  cowResolved,
  faultRaised,
  memoryRead,
  memoryWritten,
  type AccessKind,
  type FaultRaised,
  type MemoryRead,
} from './mmu-events';
import { freeGuestPages, guestPageRefs } from './guest-pages';
import { pteFrame } from './pte';
import { MmuError, MmuState } from './mmu-state';
import { translatePage, type Fault, type Translation } from './translate';

/**
 * Loads and stores through translation: `mmu.read` and `mmu.write`, the hot path (a million a
 * second). An access is split into pages, each translated; a fault is recorded and returned, and
 * a store to a copy-on-write page breaks it first.
 */
export class AccessCommands implements CommandHandlers {
  constructor(@inject(MmuState) private readonly state: MmuState) {}

  readonly handlers = [
    handle(read, (args, context): ReadOutcome => {
      const { space: id, va, length, access = 'read', kernel = false } = args;
      const space = this.state.space(id);
      const vm = this.state.vmOf(space);
      const bytes = new Uint8Array(length);
      if (this.onePage(va, length)) {
        const t = translatePage(space, vm, this.state.vpn(va), access, !kernel);
        if (!t.ok) return { ok: false, fault: this.raise(space, va, access, t, context) };
        const event = this.readEvent(id, va, length, t, access);
        context.emit(memoryRead, event);
        this.state.memory.readInto(event.pa, length, bytes, 0);
        return { ok: true, bytes };
      }
      const translations = this.translateAll(space, va, length, access, kernel, context);
      if (!Array.isArray(translations)) return { ok: false, fault: translations };
      for (const piece of this.pieces(va, length)) {
        // Translate again: the previous piece's TLB fill may have evicted this page.
        const t = translatePage(
          space,
          vm,
          this.state.vpn(piece.va),
          access,
          !kernel,
        ) as Translation;
        const event = this.readEvent(id, piece.va, piece.length, t, access);
        context.emit(memoryRead, event);
        this.state.memory.readInto(event.pa, piece.length, bytes, piece.offset);
      }
      return { ok: true, bytes };
    }),

    handle(write, ({ space: id, va, data, kernel = false }, context): WriteOutcome => {
      const space = this.state.space(id);
      if (this.onePage(va, data.length)) {
        const t = translatePage(
          space,
          this.state.vmOf(space),
          this.state.vpn(va),
          'write',
          !kernel,
        );
        if (!t.ok) return { ok: false, fault: this.raise(space, va, 'write', t, context) };
        // A copy even of a checked command's copy: a plugin's call is not checked, and the log
        // must keep what was written whatever the caller does with its buffer afterwards.
        this.store(space, va, data.slice(), t, kernel, context);
        return { ok: true };
      }
      const translations = this.translateAll(space, va, data.length, 'write', kernel, context);
      if (!Array.isArray(translations)) return { ok: false, fault: translations };
      for (const piece of this.pieces(va, data.length)) {
        // Translate again: the previous piece's TLB fill may have evicted this page.
        const vpn = this.state.vpn(piece.va);
        const t = translatePage(
          space,
          this.state.vmOf(space),
          vpn,
          'write',
          !kernel,
        ) as Translation;
        const bytes = data.slice(piece.offset, piece.offset + piece.length);
        this.store(space, piece.va, bytes, t, kernel, context);
      }
      return { ok: true };
    }),
  ];

  /**
   * Translates every page the access touches, before anything happens, so an access that faults
   * on its second page has no effect (as x86 checks both pages of a split store first). Records
   * and returns the first fault, if any.
   */
  private translateAll(
    space: AddressSpace,
    va: number,
    length: number,
    access: AccessKind,
    kernel: boolean,
    context: CommandContext,
  ): Translation[] | FaultRaised {
    if (va + length > this.state.config.vaLimit) {
      throw new MmuError(
        `An access of ${length} bytes at 0x${va.toString(16)} runs past the ${this.state.config.vaBits}-bit address space`,
      );
    }
    const vm = this.state.vmOf(space);
    const pageSize = this.state.config.pageSize;
    const first = Math.floor(va / pageSize);
    const last = Math.floor((va + length - 1) / pageSize);
    const translations: Translation[] = [];
    for (let vpn = first; vpn <= last; vpn++) {
      const result = translatePage(space, vm, vpn, access, !kernel);
      if (!result.ok)
        return this.raise(space, vpn === first ? va : vpn * pageSize, access, result, context);
      translations.push(result);
    }
    return translations;
  }

  /** Records a fault and returns it. */
  private raise(
    space: AddressSpace,
    va: number,
    access: AccessKind,
    result: Fault,
    context: CommandContext,
  ): FaultRaised {
    const pageSize = this.state.config.pageSize;
    const fault: FaultRaised = {
      space: space.id,
      va,
      access,
      kind: result.kind,
      stage: result.stage,
      ...(result.guestFrame >= 0 ? { gpa: result.guestFrame * pageSize + (va % pageSize) } : {}),
    };
    context.emit(faultRaised, fault);
    return fault;
  }

  /** True when the access stays within one page: the common case, which takes the short path. */
  private onePage(va: number, length: number): boolean {
    const pageSize = this.state.config.pageSize;
    return (va % pageSize) + length <= pageSize && va + length <= this.state.config.vaLimit;
  }

  private pieces(va: number, length: number): { va: number; offset: number; length: number }[] {
    const pageSize = this.state.config.pageSize;
    const out = [];
    for (let at = va, offset = 0; offset < length;) {
      const n = Math.min(length - offset, pageSize - (at % pageSize));
      out.push({ va: at, offset, length: n });
      at += n;
      offset += n;
    }
    return out;
  }

  /** The event of a one-page read: built in one literal, as this is the hottest path there is. */
  private readEvent(
    space: number,
    va: number,
    length: number,
    t: Translation,
    access: 'read' | 'execute',
  ): MemoryRead {
    const pageSize = this.state.config.pageSize;
    const offset = va % pageSize;
    const pa = t.frame * pageSize + offset;
    return t.guestFrame >= 0
      ? { space, va, length, pa, gpa: t.guestFrame * pageSize + offset, access, hit: t.hit }
      : { space, va, length, pa, access, hit: t.hit };
  }

  /** Records one page's store, breaking copy-on-write first if the page needs it. */
  private store(
    space: AddressSpace,
    va: number,
    data: Uint8Array,
    t: Translation,
    kernel: boolean,
    context: CommandContext,
  ): void {
    if (t.cow) {
      const vpn = this.state.vpn(va);
      this.breakCow(space, vpn, t, context);
      t = translatePage(space, this.state.vmOf(space), vpn, 'write', !kernel) as Translation;
    }
    const pageSize = this.state.config.pageSize;
    const offset = va % pageSize;
    const pa = t.frame * pageSize + offset;
    context.emit(
      memoryWritten,
      t.guestFrame >= 0
        ? { space: space.id, va, pa, gpa: t.guestFrame * pageSize + offset, data, hit: t.hit }
        : { space: space.id, va, pa, data, hit: t.hit },
    );
  }

  /**
   * Gives the space its own copy of a copy-on-write frame (or just the frame, if nobody else holds
   * it). A guest's page is a guest-physical page: its copy goes to the lowest free one of its VM
   * with a frame behind it, as the guest kernel copies it.
   */
  private breakCow(
    space: AddressSpace,
    vpn: number,
    t: Translation,
    context: CommandContext,
  ): void {
    const { pageSize } = this.state.config;
    const va = vpn * pageSize;
    if (space.kind === 'guest') {
      let to = t.guestFrame;
      if (guestPageRefs(this.state, space.vm!, t.guestFrame) > 1) {
        const [free] = freeGuestPages(this.state, space, 1, { loaded: true });
        if (free === undefined)
          throw new MmuError(
            `VM ${space.vm} has no free guest-physical page to copy page 0x${va.toString(16)} of guest space ${space.id} into`,
          );
        to = free;
      }
      const frame = pteFrame(this.state.space(space.vm!).table.get(to));
      context.emit(cowResolved, {
        space: space.id,
        va,
        from: t.frame,
        to: frame,
        fromGpa: t.guestFrame * pageSize,
        toGpa: to * pageSize,
      });
      return;
    }
    let to = t.frame;
    if (this.state.memory.refcount(t.frame) > 1) {
      const [free] = this.state.memory.findFree(space.partition, 1) ?? [];
      if (free === undefined)
        throw new MmuError(
          `Partition "${space.partition}" has no free frame to copy page 0x${va.toString(16)} of space ${space.id} into`,
        );
      to = free;
    }
    context.emit(cowResolved, { space: space.id, va, from: t.frame, to });
  }
}
