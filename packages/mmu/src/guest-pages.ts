import type { AddressSpace } from './address-space';
import type { MmuState } from './mmu-state';
import { Pte, pteFlags, pteFrame } from './pte';

/*
 * A VM's guest-physical pages as its guest kernel hands them out: the MMU plays the guest
 * kernel's page allocator for guest spaces (`mmu.map` with no `to`, and a copy-on-write break),
 * as it plays the host's for host spaces.
 */

/** How many entries of the VM's guest spaces map guest-physical page `gpn` (its sharers). */
export function guestPageRefs(state: MmuState, vm: number, gpn: number): number {
  let refs = 0;
  for (const guest of state.allSpaces())
    if (guest.vm === vm)
      guest.table.forEach((_vpn, pte) => {
        if (pteFrame(pte) === gpn) refs++;
      });
  return refs;
}

/**
 * The lowest `count` guest-physical pages of a guest space's VM that its memory backs (its stage
 * 2 maps them; `loaded`: with a frame already, not lazily) and that no guest space of the VM maps.
 * Fewer when the VM has fewer.
 */
export function freeGuestPages(
  state: MmuState,
  guest: AddressSpace,
  count: number,
  { loaded = false }: { loaded?: boolean } = {},
): number[] {
  const used = new Set<number>();
  for (const other of state.allSpaces())
    if (other.vm === guest.vm) other.table.forEach((_vpn, pte) => used.add(pteFrame(pte)));
  const free: number[] = [];
  state.space(guest.vm!).table.forEach((gpn, pte) => {
    if (free.length >= count || used.has(gpn)) return;
    if (loaded && (pteFlags(pte) & Pte.LAZY) !== 0) return;
    free.push(gpn);
  });
  return free;
}
