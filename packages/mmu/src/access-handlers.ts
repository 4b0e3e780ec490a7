import { ValidationError, type CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import type { AddressSpace } from './address-space';
import type { AccessKind, FaultRaised, MemoryRead } from './mmu-events';
import { MmuHandler } from './mmu-handler';
import { MmuError } from './mmu-state';
import { translatePage, type Fault, type Translation } from './translate';

/** Arguments of `mmu.read`. */
export interface ReadArgs {
  readonly space: number;
  readonly va: number;
  readonly length: number;
  /** `execute` for an instruction fetch; default `read`. */
  readonly access?: 'read' | 'execute';
  /** A supervisor access, allowed on pages without the USER bit; default false. */
  readonly kernel?: boolean;
}

/** Arguments of `mmu.write`. */
export interface WriteArgs {
  readonly space: number;
  readonly va: number;
  readonly data: Uint8Array;
  readonly kernel?: boolean;
}

/** What a read found: the bytes, or the fault that stopped it. */
export type ReadOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly fault: FaultRaised };
/** Whether a write happened, or the fault that stopped it. */
export type WriteOutcome =
  { readonly ok: true } | { readonly ok: false; readonly fault: FaultRaised };

/** At most this many bytes per access command: a sanity bound, far above any load or store. */
const MAX_ACCESS = 1 << 20;

/**
 * Reads and writes are the hot path (a million a second), so their arguments are checked by hand
 * rather than by a schema: a quick test first, and only on failure the work of naming each field.
 */
function check(
  type: string,
  args: unknown,
  lengthIssue: (a: Record<string, unknown>) => string | undefined,
): Record<string, unknown> {
  if (typeof args !== 'object' || args === null)
    throw new ValidationError(`command ${type}`, ['args: expected an object']);
  const a = args as Record<string, unknown>;
  const space = a.space;
  const va = a.va;
  const lengthProblem = lengthIssue(a);
  const fine =
    typeof space === 'number' &&
    Number.isSafeInteger(space) &&
    space >= 1 &&
    typeof va === 'number' &&
    Number.isSafeInteger(va) &&
    va >= 0 &&
    lengthProblem === undefined &&
    (a.kernel === undefined || typeof a.kernel === 'boolean');
  if (fine) return a;
  const issues: string[] = [];
  if (!Number.isSafeInteger(space) || (space as number) < 1)
    issues.push('args.space: expected a space id (an integer from 1)');
  if (!Number.isSafeInteger(va) || (va as number) < 0)
    issues.push('args.va: expected an address (an integer from 0)');
  if (lengthProblem !== undefined) issues.push(lengthProblem);
  if (a.kernel !== undefined && typeof a.kernel !== 'boolean')
    issues.push('args.kernel: expected a boolean');
  throw new ValidationError(`command ${type}`, issues);
}

const readLengthIssue = (a: Record<string, unknown>): string | undefined => {
  const length = a.length;
  if (
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < 1 ||
    length > MAX_ACCESS
  ) {
    return `args.length: expected a byte count from 1 to ${MAX_ACCESS}`;
  }
  if (a.access !== undefined && a.access !== 'read' && a.access !== 'execute')
    return 'args.access: expected "read" or "execute"';
  return undefined;
};

const writeDataIssue = (a: Record<string, unknown>): string | undefined =>
  a.data instanceof Uint8Array && a.data.length >= 1 && a.data.length <= MAX_ACCESS
    ? undefined
    : `args.data: expected a Uint8Array of 1 to ${MAX_ACCESS} bytes`;

/** Shared by read and write: split an access into pages, translate, fault or resolve copy-on-write. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
abstract class AccessHandler<A, R> extends MmuHandler<A, R> {
  /**
   * Translates every page the access touches, before anything happens, so an access that faults
   * on its second page has no effect (as x86 checks both pages of a split store first). Records
   * and returns the first fault, if any.
   */
  protected translateAll(
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
  protected raise(
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
    context.emit('mmu.fault.raised', fault);
    return fault;
  }

  /** True when the access stays within one page: the common case, which takes the short path. */
  protected onePage(va: number, length: number): boolean {
    const pageSize = this.state.config.pageSize;
    return (va % pageSize) + length <= pageSize && va + length <= this.state.config.vaLimit;
  }

  protected pieces(va: number, length: number): { va: number; offset: number; length: number }[] {
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
  protected readEvent(
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
}

/** `mmu.read`: reads bytes through translation (or fetches them to execute); returns them, or the fault. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class ReadHandler extends AccessHandler<ReadArgs, ReadOutcome> {
  readonly type = 'mmu.read';
  readonly description =
    'Read `length` bytes at `va` in `space` through translation (`access: execute` for a fetch).';

  parse(args: unknown): ReadArgs {
    return check(this.type, args, readLengthIssue) as unknown as ReadArgs;
  }

  execute(
    { space: id, va, length, access = 'read', kernel = false }: ReadArgs,
    context: CommandContext,
  ): ReadOutcome {
    const space = this.state.space(id);
    const vm = this.state.vmOf(space);
    const bytes = new Uint8Array(length);
    if (this.onePage(va, length)) {
      const t = translatePage(space, vm, this.state.vpn(va), access, !kernel);
      if (!t.ok) return { ok: false, fault: this.raise(space, va, access, t, context) };
      const event = this.readEvent(id, va, length, t, access);
      context.emit('mmu.memory.read', event);
      this.state.memory.readInto(event.pa, length, bytes, 0);
      return { ok: true, bytes };
    }
    const translations = this.translateAll(space, va, length, access, kernel, context);
    if (!Array.isArray(translations)) return { ok: false, fault: translations };
    for (const piece of this.pieces(va, length)) {
      // Translate again: the previous piece's TLB fill may have evicted this page.
      const t = translatePage(space, vm, this.state.vpn(piece.va), access, !kernel) as Translation;
      const event = this.readEvent(id, piece.va, piece.length, t, access);
      context.emit('mmu.memory.read', event);
      this.state.memory.readInto(event.pa, piece.length, bytes, piece.offset);
    }
    return { ok: true, bytes };
  }
}

/** `mmu.write`: writes bytes through translation, breaking copy-on-write first; returns the fault if any. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class WriteHandler extends AccessHandler<WriteArgs, WriteOutcome> {
  readonly type = 'mmu.write';
  readonly description = 'Write `data` at `va` in `space` through translation.';

  parse(args: unknown): WriteArgs {
    const a = check(this.type, args, writeDataIssue) as unknown as WriteArgs;
    // A copy: the caller may reuse its buffer, and the log must keep what was written.
    return {
      space: a.space,
      va: a.va,
      data: a.data.slice(),
      ...(a.kernel === undefined ? {} : { kernel: a.kernel }),
    };
  }

  execute(
    { space: id, va, data, kernel = false }: WriteArgs,
    context: CommandContext,
  ): WriteOutcome {
    const space = this.state.space(id);
    if (this.onePage(va, data.length)) {
      const t = translatePage(space, this.state.vmOf(space), this.state.vpn(va), 'write', !kernel);
      if (!t.ok) return { ok: false, fault: this.raise(space, va, 'write', t, context) };
      this.store(space, va, data, t, kernel, context);
      return { ok: true };
    }
    const translations = this.translateAll(space, va, data.length, 'write', kernel, context);
    if (!Array.isArray(translations)) return { ok: false, fault: translations };
    for (const piece of this.pieces(va, data.length)) {
      // Translate again: the previous piece's TLB fill may have evicted this page.
      const t = translatePage(
        space,
        this.state.vmOf(space),
        this.state.vpn(piece.va),
        'write',
        !kernel,
      ) as Translation;
      this.store(
        space,
        piece.va,
        data.slice(piece.offset, piece.offset + piece.length),
        t,
        kernel,
        context,
      );
    }
    return { ok: true };
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
      this.breakCow(space, vpn, t.frame, context);
      t = translatePage(space, this.state.vmOf(space), vpn, 'write', !kernel) as Translation;
    }
    const pageSize = this.state.config.pageSize;
    const offset = va % pageSize;
    const pa = t.frame * pageSize + offset;
    context.emit(
      'mmu.memory.written',
      t.guestFrame >= 0
        ? { space: space.id, va, pa, gpa: t.guestFrame * pageSize + offset, data, hit: t.hit }
        : { space: space.id, va, pa, data, hit: t.hit },
    );
  }

  /** Gives the space its own copy of a copy-on-write frame (or just the frame, if nobody else holds it). */
  private breakCow(space: AddressSpace, vpn: number, frame: number, context: CommandContext): void {
    const va = vpn * this.state.config.pageSize;
    let to = frame;
    if (this.state.memory.refcount(frame) > 1) {
      const [free] = this.state.memory.findFree(space.partition, 1) ?? [];
      if (free === undefined)
        throw new MmuError(
          `Partition "${space.partition}" has no free frame to copy page 0x${va.toString(16)} of space ${space.id} into`,
        );
      to = free;
    }
    context.emit('mmu.cow.resolved', { space: space.id, va, from: frame, to });
  }
}
