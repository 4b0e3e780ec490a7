import { ValidationError, type CommandContext, type CommandType } from '@chronovisor/core';
import { inject } from 'inversify';
import type { AddressSpace } from './address-space';
import { tlbInvalidated, type InvalidationReason } from './mmu-events';
import { MmuError, MmuState } from './mmu-state';

/**
 * What the MMU's command handlers share: the checks on ranges of pages, and the TLB shootdown
 * after a change to the tables. A service the handler classes inject, not a base class.
 */
export class MmuChecks {
  constructor(@inject(MmuState) private readonly state: MmuState) {}

  /**
   * Refuses a range that is not page-aligned or runs past the top of the address space, naming
   * the command and the field: these depend on the configuration, which the schema cannot know.
   */
  checkRange(command: CommandType, va: number, pages: number, field = 'va'): void {
    const { pageSize, vaLimit, vaBits } = this.state.config;
    if (va % pageSize !== 0) {
      throw new ValidationError(`command ${command.type}`, [
        `args.${field}: 0x${va.toString(16)} is not aligned to a ${pageSize}-byte page`,
      ]);
    }
    if (va + pages * pageSize > vaLimit) {
      throw new ValidationError(`command ${command.type}`, [
        `args.${field}: ${pages} pages from 0x${va.toString(16)} run past the ${vaBits}-bit address space`,
      ]);
    }
  }

  /** Refuses if any page of the range is mapped. */
  checkFree(space: AddressSpace, va: number, pages: number): void {
    const first = this.state.vpn(va);
    for (let vpn = first; vpn < first + pages; vpn++) {
      if (space.table.get(vpn) !== 0) {
        throw new MmuError(
          `Space ${space.id} already maps 0x${this.va(vpn).toString(16)}; unmap it first`,
        );
      }
    }
  }

  /** The entries of the range; refuses if any page is not mapped. */
  mapped(space: AddressSpace, va: number, pages: number): number[] {
    const first = this.state.vpn(va);
    const ptes: number[] = [];
    for (let vpn = first; vpn < first + pages; vpn++) {
      const pte = space.table.get(vpn);
      if (pte === 0)
        throw new MmuError(`Space ${space.id} maps nothing at 0x${this.va(vpn).toString(16)}`);
      ptes.push(pte);
    }
    return ptes;
  }

  /** Refuses a guest space where host frames are needed. */
  requireHostFrames(command: CommandType, space: AddressSpace): void {
    if (space.kind === 'guest') {
      throw new MmuError(
        `Space ${space.id} is a guest space: its entries hold guest frames, so ${command.type} works on its VM (space ${space.vm}) instead`,
      );
    }
  }

  /** Shoots down a changed range's TLB entries; a VM's change reaches all its guests' TLBs. */
  shootDown(
    context: CommandContext,
    space: AddressSpace,
    va: number,
    pages: number,
    reason: InvalidationReason,
  ): void {
    context.emit(tlbInvalidated, {
      space: space.id,
      va,
      pages,
      reason: space.kind === 'vm' ? 'stage-2' : reason,
    });
  }

  private va(vpn: number): number {
    return vpn * this.state.config.pageSize;
  }
}
