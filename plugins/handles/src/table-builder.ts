import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, map } from '@chronovisor/mmu';
import { inject } from 'inversify';
import type { HandleTable } from './handle-table';
import { HandlesError } from './handles-error';
import { codePublished, tableAdded, type TableRole } from './handles-events';
import { HandlesConfig } from './handles-options';
import { HandlesState } from './handles-state';

/** A slot for a new handle: its index, and whether it comes off the free list. */
export interface Slot {
  readonly index: number;
  readonly reused: boolean;
}

/**
 * Makes each space's table and grows it, after US7031971B1 and NT's ExpAllocateHandleTableEntrySlow:
 * a new table page is mapped, filled and linked under a parent before a resolver can reach it,
 * and a new level is published by one store of the table code. So a resolver holding the old code
 * walks a tree that growth never changes, and needs no lock.
 */
export class TableBuilder {
  constructor(
    @inject(HandlesState) private readonly state: HandlesState,
    @inject(HandlesConfig) private readonly config: HandlesConfig,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  /** The space's table, made with its first leaf on first use. */
  tableOf(space: number, context: CommandContext): HandleTable {
    const table = this.state.table(space);
    if (table) return table;
    const known = this.mmu.spaces().find((s) => s.id === space);
    if (!known)
      throw new HandlesError(`Space ${space} does not exist; create it with mmu.create-space`);
    const { base } = this.state.layout;
    this.addTable(space, 'leaf', base, 0, context);
    context.emit(codePublished, { space, code: base, top: base, levels: 1 });
    return this.state.table(space)!;
  }

  /** The slot the reuse policy gives the next handle, growing the table when it needs a fresh one. */
  slotFor(table: HandleTable, context: CommandContext): Slot {
    const wait = this.config.reuse === 'delayed' ? this.config.reuseDelay : 0;
    if (table.freeCount > wait) return { index: table.head, reused: true };
    const { indexLimit } = this.state.layout;
    if (table.fresh < indexLimit) {
      if (table.fresh >= table.capacity) this.grow(table, context);
      return { index: table.fresh, reused: false };
    }
    // Full: a delayed slot is better than no handle.
    if (table.freeCount > 0) return { index: table.head, reused: true };
    throw new HandlesError(
      `Space ${table.space}'s handle table is full: ${indexLimit - 1} handles are open (raise indexBits, maxLevels or the table sizes)`,
    );
  }

  /** Adds the leaf for the next fresh slot, and a level above when the tree is full. */
  private grow(table: HandleTable, context: CommandContext): void {
    const { space } = table;
    const { leafEntries, pointersPerTable: p } = this.state.layout;
    const leaf = table.leaves; // the new leaf's ordinal
    const first = leaf * leafEntries;
    let tables = table.tables;
    const take = (): number => table.vaOf(tables++);
    if (table.levels === 1) {
      // A mid level over the first leaf and the new one, then one store of the table code.
      const mid = take();
      this.addTable(space, 'mid', mid, 0, context, { child: table.top });
      this.addTable(space, 'leaf', take(), first, context, { parent: mid, slot: 1 });
      this.publish(space, mid, 2, context);
    } else if (table.levels === 2 && leaf === p) {
      // A top level over the full mid table and a new mid, which holds the new leaf.
      const top = take();
      const mid = take();
      this.addTable(space, 'top', top, 0, context, { child: table.top });
      this.addTable(space, 'mid', mid, first, context, { parent: top, slot: 1 });
      this.addTable(space, 'leaf', take(), first, context, { parent: mid, slot: 0 });
      this.publish(space, top, 3, context);
    } else if (table.levels === 2) {
      // One pointer store in the published mid table: a resolver sees the leaf or the old end.
      this.addTable(space, 'leaf', take(), first, context, { parent: table.top, slot: leaf });
    } else {
      const midOrdinal = Math.floor(leaf / p);
      let mid: number;
      if (leaf % p === 0) {
        mid = take();
        this.addTable(space, 'mid', mid, first, context, { parent: table.top, slot: midOrdinal });
      } else mid = table.childOf(table.top, midOrdinal);
      this.addTable(space, 'leaf', take(), first, context, { parent: mid, slot: leaf % p });
    }
  }

  private addTable(
    space: number,
    role: TableRole,
    va: number,
    first: number,
    context: CommandContext,
    link: { parent?: number; slot?: number; child?: number } = {},
  ): void {
    context.call(map, { space, va, pages: 1, perms: 'rw-', kernel: true, lazy: false });
    context.emit(tableAdded, { space, table: va, role, first, ...link });
  }

  private publish(space: number, top: number, levels: number, context: CommandContext): void {
    context.emit(codePublished, { space, code: top + levels - 1, top, levels });
  }
}
