import {
  PANEL_ROWS,
  panelAddress,
  panelTable,
  type Panel,
  type PanelContent,
  type PanelValue,
} from '@chronovisor/core';
import { inject } from 'inversify';
import { OverlayQuery } from './overlay-query';
import type { Program, Version } from './overlay-state';

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * The web page's `overlay` panel, at the page's position. For each program with a shared data
 * segment, in name order:
 *
 * - **program p**: its partition, the shared segment (its store space and address), its pages,
 *   the globals allocated in it and the bytes free;
 * - **p: versions**: each live version in load order: the process (space) it runs in, its global
 *   segment (a link to the hex view there), its globals by binding (common with a live version,
 *   added, transformed), and the shared globals written since it loaded (what a rollback to the
 *   others keeps);
 * - **p: shared data segment**: each allocation in it: the global's name, type and size, its
 *   offset and bytes (a link into the store), and the versions bound to them;
 * - **p: what each version sees**: for each live version and each of its globals, the address it
 *   reads it at (a link into that version's process), how it was bound, the allocation behind it
 *   and the other versions that see the same bytes.
 *
 * The plugin keeps no seq of the load that bound a global or of the writes to it, so nothing here
 * links to the log.
 */
export class GlobalOverlayPanel implements Panel {
  readonly name = 'overlay';
  readonly title = 'Global-variable overlay';

  constructor(@inject(OverlayQuery) private readonly query: OverlayQuery) {}

  show(): PanelContent {
    const sections: { title: string; content: PanelContent }[] = [];
    for (const summary of this.query.programs()) {
      const p = this.query.program(summary.program);
      if (!p) continue;
      const versions = [...p.versions.values()].sort((a, b) => a.order - b.order);
      const slots = [...p.slots.values()].sort((a, b) => a.offset - b.offset);
      const seen = bindings(p, versions);
      sections.push(
        {
          title: `program ${p.program}`,
          content: {
            kind: 'facts',
            facts: [
              { label: 'partition', value: p.partition },
              { label: 'store space', value: p.store },
              { label: 'segment at', value: hex(p.va) },
              { label: 'pages', value: p.pages },
              { label: 'live versions', value: versions.length },
              { label: 'globals allocated', value: slots.length },
              { label: 'bytes free', value: summary.freeBytes },
            ],
          },
        },
        {
          title: `${p.program}: versions`,
          content: panelTable(
            [
              { key: 'version', label: 'version' },
              { key: 'space', label: 'space', format: 'number' },
              { key: 'segment', label: 'global segment', format: 'address' },
              { key: 'globals', label: 'globals', format: 'number' },
              { key: 'common', label: 'common', format: 'number' },
              { key: 'added', label: 'added', format: 'number' },
              { key: 'transformed', label: 'transformed', format: 'number' },
              { key: 'written', label: 'shared globals written since', format: 'number' },
            ],
            versions,
            (v) => versionRow(v),
            { empty: 'no live versions' },
          ),
        },
        {
          title: `${p.program}: shared data segment`,
          content: panelTable(
            [
              { key: 'name', label: 'global' },
              { key: 'type', label: 'type' },
              { key: 'size', label: 'size', format: 'number' },
              { key: 'offset', label: 'offset', format: 'hex' },
              { key: 'bytes', label: 'bytes', format: 'address' },
              { key: 'users', label: 'versions bound' },
            ],
            slots,
            (s) => ({
              name: s.name,
              type: s.type,
              size: s.size,
              offset: s.offset,
              bytes: panelAddress(p.store, p.va + s.offset),
              users: s.users.join(', '),
            }),
            { empty: 'no globals allocated' },
          ),
        },
        {
          title: `${p.program}: what each version sees`,
          content: panelTable(
            [
              { key: 'version', label: 'version' },
              { key: 'global', label: 'global' },
              { key: 'address', label: 'address', format: 'address' },
              { key: 'type', label: 'type' },
              { key: 'size', label: 'size', format: 'number' },
              { key: 'binding', label: 'binding' },
              { key: 'offset', label: 'segment offset', format: 'hex' },
              { key: 'sharedWith', label: 'same bytes as' },
            ],
            seen.rows,
            (row) => row,
            { empty: seen.empty, total: seen.total },
          ),
        },
      );
    }
    if (sections.length === 0)
      sections.push({
        title: 'programs',
        content: { kind: 'facts', facts: [{ label: 'programs', value: 0 }] },
      });
    return { kind: 'sections', sections };
  }
}

function versionRow(v: Version): Record<string, PanelValue> {
  const by = { common: 0, added: 0, transformed: 0 };
  for (const g of v.globals.values()) by[g.binding]++;
  return {
    version: v.version,
    space: v.space,
    segment: panelAddress(v.space, v.base),
    globals: v.globals.size,
    ...by,
    written: v.writtenSince.size,
  };
}

/**
 * Each live version's globals, by version then offset: the rows up to {@link PANEL_ROWS}, the
 * empty table's text, and how many rows there are in all.
 */
function bindings(
  p: Program,
  versions: readonly Version[],
): { rows: Record<string, PanelValue>[]; empty: string; total: number } {
  const rows: Record<string, PanelValue>[] = [];
  let total = 0;
  for (const v of versions) {
    total += v.globals.size;
    if (rows.length >= PANEL_ROWS) continue;
    const globals = [...v.globals.values()].sort((a, b) => a.offset - b.offset);
    for (const g of globals) {
      if (rows.length >= PANEL_ROWS) break;
      const users = p.slots.get(g.slot)?.users ?? [v.version];
      rows.push({
        version: v.version,
        global: g.name,
        address: panelAddress(v.space, v.base + g.offset),
        type: g.type,
        size: g.size,
        binding: g.binding,
        offset: g.offset,
        sharedWith: users.filter((u) => u !== v.version).join(', '),
      });
    }
  }
  return { rows, empty: versions.length === 0 ? 'no live versions' : 'no globals', total };
}
