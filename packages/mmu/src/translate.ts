import type { AddressSpace } from './address-space';
import type { AccessKind, FaultKind } from './mmu-events';
import { Pte, pteFlags, pteFrame } from './pte';

/** A page that translates: where to, with which combined flags, and whether the TLB had it. */
export interface Translation {
  readonly ok: true;
  /** Host frame. */
  readonly frame: number;
  /** Guest frame, for a guest space; -1 otherwise. */
  readonly guestFrame: number;
  readonly flags: number;
  readonly hit: boolean;
  /** A permitted write to a copy-on-write page: the frame must be copied first. */
  readonly cow: boolean;
}

/** A page that does not translate, and which stage's owner must handle it. */
export interface Fault {
  readonly ok: false;
  readonly kind: FaultKind;
  readonly stage: 1 | 2;
  readonly guestFrame: number;
}

const RWX = Pte.READ | Pte.WRITE | Pte.EXECUTE;

/** True if `flags` forbid the access (a user-mode access also needs the USER bit). */
function denies(flags: number, access: AccessKind, user: boolean): boolean {
  if (user && (flags & Pte.USER) === 0) return true;
  const needed = access === 'read' ? Pte.READ : access === 'write' ? Pte.WRITE : Pte.EXECUTE;
  return (flags & needed) === 0;
}

/** The stage a space's own faults belong to: a VM's guest-physical space is stage 2. */
const ownStage = (space: AddressSpace): 1 | 2 => (space.kind === 'vm' ? 2 : 1);

/**
 * Translates one virtual page of `space` for an access, as the hardware would, without changing
 * anything: the TLB first, else a walk of the space's table, and for a guest a second walk of its
 * VM's stage-2 table (guest frame → host frame). Permissions combine across both stages.
 */
export function translatePage(
  space: AddressSpace,
  vm: AddressSpace | undefined,
  vpn: number,
  access: AccessKind,
  user: boolean,
): Translation | Fault {
  const cached = space.tlb.lookup(vpn);
  if (cached !== undefined) {
    return permit(
      cached.flags,
      cached.frame,
      cached.guestFrame,
      true,
      access,
      user,
      ownStage(space),
    );
  }

  const pte = space.table.get(vpn);
  if (pte === 0) return fault('not-present', ownStage(space), -1);
  const flags = pteFlags(pte);
  if ((flags & Pte.LAZY) !== 0) return fault('lazy', ownStage(space), -1);
  if (space.kind !== 'guest')
    return permit(flags, pteFrame(pte), -1, false, access, user, ownStage(space));

  // A guest: check stage 1 first (the guest OS handles its own faults), then walk stage 2.
  const guestFrame = pteFrame(pte);
  const stage1 = permit(flags, guestFrame, guestFrame, false, access, user, 1);
  if (!stage1.ok) return stage1;
  const pte2 = vm!.table.get(guestFrame);
  if (pte2 === 0) return fault('not-present', 2, guestFrame);
  const flags2 = pteFlags(pte2);
  if ((flags2 & Pte.LAZY) !== 0) return fault('lazy', 2, guestFrame);
  if (denies(flags2, access, false)) return fault('protection', 2, guestFrame);
  return {
    ok: true,
    frame: pteFrame(pte2),
    guestFrame,
    flags: combine(flags, flags2),
    hit: false,
    cow: stage1.cow,
  };
}

/** The flags a TLB caches for a two-stage translation: stage-1 bits, permissions of both. */
export function combine(stage1: number, stage2: number): number {
  return (stage1 & ~RWX) | (stage1 & stage2 & RWX);
}

function permit(
  flags: number,
  frame: number,
  guestFrame: number,
  hit: boolean,
  access: AccessKind,
  user: boolean,
  stage: 1 | 2,
): Translation | Fault {
  if (denies(flags, access, user)) return fault('protection', stage, guestFrame);
  const cow = access === 'write' && (flags & Pte.COW) !== 0;
  return { ok: true, frame, guestFrame, flags, hit, cow };
}

function fault(kind: FaultKind, stage: 1 | 2, guestFrame: number): Fault {
  return { ok: false, kind, stage, guestFrame };
}

/** The host frame behind a virtual page, by the tables alone: no TLB, no permission checks. */
export function resolveFrame(
  space: AddressSpace,
  vm: AddressSpace | undefined,
  vpn: number,
): number | undefined {
  const pte = space.table.get(vpn);
  if (pte === 0 || (pteFlags(pte) & Pte.LAZY) !== 0) return undefined;
  if (space.kind !== 'guest') return pteFrame(pte);
  const pte2 = vm!.table.get(pteFrame(pte));
  if (pte2 === 0 || (pteFlags(pte2) & Pte.LAZY) !== 0) return undefined;
  return pteFrame(pte2);
}
