import {
  CLOSED_AT,
  CYCLE_AT,
  ENTRY_WORDS,
  HandleTable,
  IDENTIFIER,
  ISSUES,
  NEXT,
  OBJECT,
  TYPE,
  type TableVersion,
} from './handle-table';
import { HandlesError } from './handles-error';
import type { TableRole, TableStateData } from './handles-events';
import type { TableLayout } from './table-layout';

/*
 * A handle table as plain data and back, for the state that travels with a process (see
 * `HandlesSpaceState`). The table is rebuilt word for word, then rehashed by `HandleTable` itself,
 * so a table rebuilt with the same objects has the digest of the one captured.
 */

/** A table page as the data holds it. */
type TablePage = TableStateData['tables'][number];

/** The table as plain data, and each object its slots name with its type's number. */
export function tableToData(table: HandleTable): {
  readonly data: TableStateData;
  readonly objects: ReadonlyMap<number, number>;
} {
  const tables: TablePage[] = table.tableList().map(({ table: va, role }, n) => {
    if (role === 'leaf') return { table: va, role };
    const words = table.words(n);
    let used = words.length;
    while (used > 0 && words[used - 1] === 0) used--;
    return { table: va, role, children: Array.from(words.subarray(0, used)) };
  });
  const objects = new Map<number, number>();
  const slots: TableStateData['slots'][number][] = [];
  for (let index = 1; index < table.fresh; index++) {
    const { words, offset: o } = table.entry(index);
    const object = words[o + OBJECT]!;
    if (object !== 0) objects.set(object, words[o + TYPE]!);
    slots.push({
      index,
      identifier: words[o + IDENTIFIER]!,
      issues: words[o + ISSUES]!,
      closedAt: words[o + CLOSED_AT]!,
      cycleAt: words[o + CYCLE_AT]!,
      ...(object === 0 ? {} : { object }),
    });
  }
  const free: number[] = [];
  for (let index = table.head; index !== -1;) {
    free.push(index);
    const { words, offset } = table.entry(index);
    index = words[offset + NEXT]!;
  }
  const data = {
    levels: table.levels,
    code: table.code,
    tables,
    slots,
    free,
    counters: { ...table.counters },
  };
  return { data, objects };
}

/**
 * The table `data` describes, for `space`; `typeOf` gives the type's number of each object its
 * slots name. The data must have passed {@link checkTableData}.
 */
export function tableFromData(
  space: number,
  layout: TableLayout,
  data: TableStateData,
  typeOf: (object: number) => number,
): HandleTable {
  const roles: TableRole[] = [];
  const chunks = data.tables.map(({ role, children = [] }) => {
    roles.push(role);
    if (role !== 'leaf') {
      const words = new Float64Array(layout.pointersPerTable);
      children.forEach((child, slot) => (words[slot] = child));
      return words;
    }
    const words = new Float64Array(layout.leafEntries * ENTRY_WORDS);
    for (let o = 0; o < words.length; o += ENTRY_WORDS) {
      words[o + NEXT] = -1;
      words[o + CLOSED_AT] = -1;
    }
    return words;
  });
  const top = (data.code - (data.levels - 1) - layout.base) / layout.pageSize;
  const next = new Map<number, number>();
  data.free.forEach((index, i) => next.set(index, data.free[i + 1] ?? -1));
  const scalars: TableVersion['scalars'] = {
    levels: data.levels,
    top,
    leaves: roles.filter((role) => role === 'leaf').length,
    mids: roles.filter((role) => role === 'mid').length,
    fresh: data.slots.length + 1,
    head: data.free[0] ?? -1,
    tail: data.free[data.free.length - 1] ?? -1,
    freeCount: data.free.length,
    open: data.slots.filter((slot) => slot.object !== undefined).length,
    counters: { ...data.counters },
  };
  // The walk from the table code to each slot's leaf is the table's own (over the pages above).
  const walk = new HandleTable(space, layout, { scalars, facts: [0, 0], chunks, roles });
  for (const slot of data.slots) {
    const words = chunks[walk.leafOf(slot.index)]!;
    const o = walk.offsetOf(slot.index);
    const object = slot.object ?? 0;
    words[o + OBJECT] = object;
    words[o + TYPE] = object === 0 ? 0 : typeOf(object);
    words[o + IDENTIFIER] = slot.identifier;
    words[o + NEXT] = next.get(slot.index) ?? -1;
    words[o + CLOSED_AT] = slot.closedAt;
    words[o + ISSUES] = slot.issues;
    words[o + CYCLE_AT] = slot.cycleAt;
  }
  const table = new HandleTable(space, layout, { scalars, facts: [0, 0], chunks, roles });
  table.rehash();
  return table;
}

/** The bytes of the pages a table rebuilt from `data` holds. */
export function tableBytes(layout: TableLayout, data: TableStateData): number {
  return data.tables.reduce(
    (bytes, { role }) =>
      bytes + 8 * (role === 'leaf' ? layout.leafEntries * ENTRY_WORDS : layout.pointersPerTable),
    0,
  );
}

/**
 * The pages of a table grown to `leaves` leaves, as `TableBuilder` grows one: a leaf; a mid over
 * it and a second leaf; more leaves under the mid; when it is full, a top over it and a new mid
 * with the next leaf; more leaves and mids. Its level count and table code.
 */
export function grownTable(
  layout: TableLayout,
  leaves: number,
): { readonly pages: TablePage[]; readonly levels: number; readonly code: number } {
  const p = layout.pointersPerTable;
  const pages: { table: number; role: TableRole; children?: number[] }[] = [];
  const add = (role: TableRole, children?: number[]): number => {
    pages.push({
      table: layout.base + pages.length * layout.pageSize,
      role,
      ...(children ? { children } : {}),
    });
    return pages.length - 1;
  };
  let top = add('leaf');
  let levels = 1;
  for (let leaf = 1; leaf < leaves; leaf++) {
    if (levels === 1) {
      const mid = add('mid', [pages[top]!.table]);
      pages[mid]!.children!.push(pages[add('leaf')]!.table);
      [top, levels] = [mid, 2];
    } else if (levels === 2 && leaf === p) {
      const over = add('top', [pages[top]!.table]);
      const mid = add('mid', []);
      pages[over]!.children!.push(pages[mid]!.table);
      pages[mid]!.children!.push(pages[add('leaf')]!.table);
      [top, levels] = [over, 3];
    } else if (levels === 2) {
      pages[top]!.children!.push(pages[add('leaf')]!.table);
    } else {
      let mid: number;
      if (leaf % p === 0) {
        mid = add('mid', []);
        pages[top]!.children!.push(pages[mid]!.table);
      } else mid = (pages[top]!.children![Math.floor(leaf / p)]! - layout.base) / layout.pageSize;
      pages[mid]!.children!.push(pages[add('leaf')]!.table);
    }
  }
  return { pages, levels, code: pages[top]!.table + levels - 1 };
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A table page as a refusal names it. */
function describe(page: TablePage | undefined): string {
  if (!page) return 'no page';
  const over = page.children ? ` over [${page.children.map(hex).join(', ')}]` : '';
  return `a ${page.role} at ${hex(page.table)}${over}`;
}

/**
 * Checks that `data` is a table this layout's growth makes and its slots, free list and counters
 * agree; throws a {@link HandlesError} starting `The handle state for space N` that names the
 * first thing that does not. `objects` are the ids the state lists.
 */
export function checkTableData(
  space: number,
  layout: TableLayout,
  data: TableStateData,
  objects: ReadonlySet<number>,
): void {
  const refuse = (what: string): never => {
    throw new HandlesError(`The handle state for space ${space} ${what}`);
  };
  // The pages: exactly those growth makes for as many leaves.
  const leaves = data.tables.filter((page) => page.role === 'leaf').length;
  const mostLeaves = Math.ceil(layout.indexLimit / layout.leafEntries);
  if (leaves < 1 || leaves > mostLeaves)
    refuse(`has ${leaves} leaf tables: a table here has 1 to ${mostLeaves}`);
  const grown = grownTable(layout, leaves);
  const n = Math.max(grown.pages.length, data.tables.length);
  for (let i = 0; i < n; i++) {
    const [had, want] = [data.tables[i], grown.pages[i]];
    const same =
      had &&
      want &&
      had.table === want.table &&
      had.role === want.role &&
      (had.children ?? []).length === (want.children ?? []).length &&
      (had.children ?? []).every((child, slot) => child === want.children![slot]);
    if (!same)
      refuse(
        `has ${describe(had)} as table ${i}, where a table grown to ${leaves} leaves has ${describe(want)}`,
      );
  }
  if (data.levels !== grown.levels || data.code !== grown.code)
    refuse(
      `publishes code ${hex(data.code)} (${data.levels} levels), where its pages make ${hex(grown.code)} (${grown.levels})`,
    );

  // The slots: 1 to fresh − 1, in order, within the leaves.
  const capacity = Math.min(leaves * layout.leafEntries, layout.indexLimit);
  const ops = data.counters.creates + data.counters.closes;
  const freeSlots = new Set<number>();
  let open = 0;
  data.slots.forEach((slot, i) => {
    const at = `slot ${slot.index}`;
    if (slot.index >= capacity)
      refuse(`holds ${at}, outside its table: its leaves hold slots 1 to ${capacity - 1}`);
    if (slot.index !== i + 1)
      refuse(`lists ${at} as its slot ${i + 1}: the slots handed out are listed 1 to n, in order`);
    if (slot.identifier >= layout.identifiers)
      refuse(
        `gives ${at} identifier ${slot.identifier}: handles here carry 0 to ${layout.identifiers - 1}`,
      );
    // Each handle a slot hands out carries its identifier; each close moves it on.
    const issued = slot.object === undefined ? slot.issues : slot.issues - 1;
    if (slot.identifier !== issued % layout.identifiers)
      refuse(
        `gives ${at} identifier ${slot.identifier} after ${slot.issues} handles${slot.object === undefined ? ', closed' : ''}: it would carry ${issued % layout.identifiers}`,
      );
    if (slot.cycleAt < 1 || slot.cycleAt > ops || slot.closedAt > ops)
      refuse(`has ${at} changed at a table operation its ${ops} operations never reached`);
    if (slot.object === undefined) {
      if (slot.closedAt < 1) refuse(`has ${at} free, yet never closed`);
      freeSlots.add(slot.index);
    } else {
      if (!objects.has(slot.object))
        refuse(`has ${at} name object ${slot.object}, which its objects do not list`);
      open++;
    }
  });
  if (data.counters.creates - data.counters.closes !== open)
    refuse(
      `counts ${data.counters.creates} creates and ${data.counters.closes} closes, yet ${open} handles are open`,
    );

  // The free list: each free slot once.
  const listed = new Set<number>();
  for (const index of data.free) {
    if (!freeSlots.has(index) || listed.has(index))
      refuse(
        `lists slot ${index} in its free list ${listed.has(index) ? 'twice' : index >= data.slots.length + 1 ? 'though the table never handed it out' : 'though it is in use'}`,
      );
    listed.add(index);
  }
  if (listed.size !== freeSlots.size) {
    const missing = [...freeSlots].find((index) => !listed.has(index))!;
    refuse(`has slot ${missing} free but not in its free list`);
  }
}
