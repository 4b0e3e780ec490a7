import type { Query } from '@chronovisor/core';
import { inject } from 'inversify';
import { checkHandle } from './check-handle';
import type { TableCounters } from './handle-table';
import type { RejectionReason, TableRole } from './handles-events';
import { HandlesConfig, type ReusePolicy } from './handles-options';
import { HandlesState } from './handles-state';
import { handleOf, identifierOf, indexOf } from './table-layout';

/** One space's table at a glance: what `info handles` shows. */
export interface TableSummary {
  readonly space: number;
  readonly levels: number;
  /** The table code: the top table's address | levels − 1. */
  readonly code: number;
  readonly tables: { readonly leaf: number; readonly mid: number; readonly top: number };
  /** Slots the leaves hold, and the most the table may grow to. */
  readonly capacity: number;
  readonly limit: number;
  readonly open: number;
  readonly free: number;
  readonly reuse: ReusePolicy;
  /** Open handles by their object's type. */
  readonly byType: Readonly<Record<string, number>>;
  readonly counters: Readonly<TableCounters>;
}

/** A table page in the hierarchy. */
export interface TablePage {
  readonly table: number;
  readonly role: TableRole;
  /** For a pointer table: the tables its slots hold, in slot order. */
  readonly children?: readonly number[];
}

/** An open handle, as `info handles <space> list` shows it. */
export interface OpenHandle {
  readonly handle: number;
  readonly index: number;
  readonly identifier: number;
  readonly object: number;
  readonly type: string;
  readonly name?: string;
}

/** What a handle resolves to, or why not, without recording anything (the debugger's check). */
export type Resolution =
  | { readonly ok: true; readonly object: number; readonly type: string; readonly at: number }
  | {
      readonly ok: false;
      readonly reason: RejectionReason;
      readonly index: number;
      readonly identifier: number;
    };

/** Every table and the objects at a glance (what `inspect` and the summary show). */
export interface HandlesStats {
  readonly tables: readonly TableSummary[];
  readonly objects: { readonly made: number; readonly live: number };
  readonly rejections: Readonly<Partial<Record<RejectionReason, number>>>;
}

/** The handle tables' read-only face, for scenarios, other plugins, the debugger and the CLI. */
export class HandlesQuery implements Query {
  readonly name = 'handles';

  constructor(
    @inject(HandlesState) private readonly state: HandlesState,
    @inject(HandlesConfig) private readonly config: HandlesConfig,
  ) {}

  /** The object `handle` names in `space`, or 0: a kernel's unrecorded lookup, as fast as it goes. */
  lookup(space: number, handle: number): number {
    const table = this.state.table(space);
    if (!table) return 0;
    const layout = this.state.layout;
    return table.lookup(indexOf(layout, handle), identifierOf(layout, handle));
  }

  /** What `handle` names in `space`, or why it would be refused. */
  resolve(space: number, handle: number): Resolution {
    const checked = checkHandle(this.state.table(space), this.state.layout, handle);
    if (checked.ok)
      return {
        ok: true,
        object: checked.object,
        type: this.state.typeName(checked.type),
        at: checked.at,
      };
    const { reason, index, identifier } = checked.bad;
    return { ok: false, reason, index, identifier };
  }

  /** Every space's table, by space. */
  tables(): TableSummary[] {
    return [...this.state.allTables()]
      .sort((a, b) => a.space - b.space)
      .map((t) => this.table(t.space)!);
  }

  table(space: number): TableSummary | undefined {
    const t = this.state.table(space);
    if (!t) return undefined;
    const byType: Record<string, number> = {};
    for (const { type } of t.openSlots()) {
      const name = this.state.typeName(type);
      byType[name] = (byType[name] ?? 0) + 1;
    }
    let top = 0;
    for (const { role } of t.tableList()) if (role === 'top') top++;
    return {
      space,
      levels: t.levels,
      code: t.code,
      tables: { leaf: t.leaves, mid: t.mids, top },
      capacity: t.capacity,
      limit: this.state.layout.indexLimit,
      open: t.open,
      free: t.freeCount,
      reuse: this.config.reuse,
      byType,
      counters: { ...t.counters },
    };
  }

  /** The space's table pages, in the order they were added, with each pointer table's children. */
  pages(space: number): TablePage[] {
    const t = this.state.table(space);
    if (!t) return [];
    return t.tableList().map(({ table, role }, n) => {
      if (role === 'leaf') return { table, role };
      const words = t.words(n);
      const children: number[] = [];
      for (const child of words) if (child !== 0) children.push(child);
      return { table, role, children };
    });
  }

  /** The space's open handles, in index order. */
  handles(space: number): OpenHandle[] {
    const t = this.state.table(space);
    if (!t) return [];
    const layout = this.state.layout;
    return [...t.openSlots()].map(({ index, identifier, object, type }) => {
      const name = this.state.nameOf(object);
      return {
        handle: handleOf(layout, index, identifier),
        index,
        identifier,
        object,
        type: this.state.typeName(type),
        ...(name === undefined ? {} : { name }),
      };
    });
  }

  /** Every table, the objects, and refusals by reason. */
  stats(): HandlesStats {
    const { made, live } = this.state.objects;
    return {
      tables: this.tables(),
      objects: { made, live },
      rejections: { ...this.state.rejectionCounts() },
    };
  }
}
