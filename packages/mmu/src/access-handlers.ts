import { ValidationError, type CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import type { AddressSpace } from './address-space';
import type { AccessKind, FaultRaised } from './mmu-events';
import { MmuHandler } from './mmu-handler';
import { MmuError } from './mmu-state';
import { translatePage, type Translation } from './translate';

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
 * rather than by a schema; the errors still name the field.
 */
function check(
  type: string,
  args: unknown,
  length: (a: Record<string, unknown>) => unknown,
): Record<string, unknown> {
  const issues: string[] = [];
  if (typeof args !== 'object' || args === null)
    throw new ValidationError(`command ${type}`, ['args: expected an object']);
  const a = args as Record<string, unknown>;
  if (!Number.isSafeInteger(a.space) || (a.space as number) < 1)
    issues.push('args.space: expected a space id (an integer from 1)');
  if (!Number.isSafeInteger(a.va) || (a.va as number) < 0)
    issues.push('args.va: expected an address (an integer from 0)');
  const n = length(a);
  if (typeof n === 'string') issues.push(n);
  if (a.kernel !== undefined && typeof a.kernel !== 'boolean')
    issues.push('args.kernel: expected a boolean');
  if (issues.length > 0) throw new ValidationError(`command ${type}`, issues);
  return a;
}

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
      if (!result.ok) {
        const at = vpn === first ? va : vpn * pageSize;
        const fault: FaultRaised = {
          space: space.id,
          va: at,
          access,
          kind: result.kind,
          stage: result.stage,
          ...(result.guestFrame >= 0
            ? { gpa: result.guestFrame * pageSize + (at % pageSize) }
            : {}),
        };
        context.emit('mmu.fault.raised', fault);
        return fault;
      }
      translations.push(result);
    }
    return translations;
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

  protected physical(t: Translation, va: number): { pa: number; gpa?: number } {
    const pageSize = this.state.config.pageSize;
    const offset = va % pageSize;
    return t.guestFrame >= 0
      ? { pa: t.frame * pageSize + offset, gpa: t.guestFrame * pageSize + offset }
      : { pa: t.frame * pageSize + offset };
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
    return check(this.type, args, (a) => {
      if (
        !Number.isSafeInteger(a.length) ||
        (a.length as number) < 1 ||
        (a.length as number) > MAX_ACCESS
      ) {
        return `args.length: expected a byte count from 1 to ${MAX_ACCESS}`;
      }
      if (a.access !== undefined && a.access !== 'read' && a.access !== 'execute')
        return 'args.access: expected "read" or "execute"';
      return undefined;
    }) as unknown as ReadArgs;
  }

  execute(
    { space: id, va, length, access = 'read', kernel = false }: ReadArgs,
    context: CommandContext,
  ): ReadOutcome {
    const space = this.state.space(id);
    const translations = this.translateAll(space, va, length, access, kernel, context);
    if (!Array.isArray(translations)) return { ok: false, fault: translations };
    const bytes = new Uint8Array(length);
    this.pieces(va, length).forEach((piece, i) => {
      // Re-translate after the first page: the previous read's TLB fill may have evicted this one.
      const t =
        i === 0
          ? translations[0]!
          : (translatePage(
              space,
              this.state.vmOf(space),
              this.state.vpn(piece.va),
              access,
              !kernel,
            ) as Translation);
      const where = this.physical(t, piece.va);
      context.emit('mmu.memory.read', {
        space: id,
        va: piece.va,
        length: piece.length,
        ...where,
        access,
        hit: t.hit,
      });
      this.state.memory.readInto(where.pa, piece.length, bytes, piece.offset);
    });
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
    const a = check(this.type, args, (a) => {
      if (!(a.data instanceof Uint8Array) || a.data.length < 1 || a.data.length > MAX_ACCESS) {
        return `args.data: expected a Uint8Array of 1 to ${MAX_ACCESS} bytes`;
      }
      return undefined;
    });
    // A copy: the caller may reuse its buffer, and the log must keep what was written.
    return { ...(a as unknown as WriteArgs), data: (a.data as Uint8Array).slice() };
  }

  execute(
    { space: id, va, data, kernel = false }: WriteArgs,
    context: CommandContext,
  ): WriteOutcome {
    const space = this.state.space(id);
    const translations = this.translateAll(space, va, data.length, 'write', kernel, context);
    if (!Array.isArray(translations)) return { ok: false, fault: translations };
    const single = translations.length === 1 && !translations[0]!.cow;
    for (const piece of this.pieces(va, data.length)) {
      const vpn = this.state.vpn(piece.va);
      let t = single
        ? translations[0]!
        : (translatePage(space, this.state.vmOf(space), vpn, 'write', !kernel) as Translation);
      if (t.cow) {
        this.breakCow(space, vpn, t.frame, context);
        t = translatePage(space, this.state.vmOf(space), vpn, 'write', !kernel) as Translation;
      }
      const where = this.physical(t, piece.va);
      const chunk =
        piece.length === data.length
          ? data
          : data.subarray(piece.offset, piece.offset + piece.length);
      context.emit('mmu.memory.written', {
        space: id,
        va: piece.va,
        ...where,
        data: chunk,
        hit: t.hit,
      });
    }
    return { ok: true };
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
