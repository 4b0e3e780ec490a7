import { PANEL_ROWS, type Panel, type PanelContent, type PanelNode } from '@chronovisor/core';
import { inject } from 'inversify';
import { HandlesQuery, type OpenHandle, type TablePage, type TableSummary } from './handles-query';

const hex = (n: number): string => `0x${n.toString(16)}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The web page's `handles` panel, at the page's position: a tree of each space's handle table as
 * a resolver walks it, from the table code's top table down through the pointer tables (`top`,
 * `mid`, at their addresses) to the leaves, each leaf with the slots it holds and its open
 * handles (value, slot, identifier, object, type, name, and the entry's address). Then the
 * objects made and live, and the refused handles by reason.
 *
 * At most {@link PANEL_ROWS} table pages and as many open handles a space; a node says how many
 * more there are. The plugin keeps neither the seq of the record that made a handle or a table,
 * nor the refused handles themselves (only their count by reason), so no node links to the log.
 */
export class HandlesPanel implements Panel {
  readonly name = 'handles';
  readonly title = 'Handle tables';

  constructor(@inject(HandlesQuery) private readonly handles: HandlesQuery) {}

  show(): PanelContent {
    const stats = this.handles.stats();
    const nodes: PanelNode[] = stats.tables.map((t) => this.tableNode(t));
    if (nodes.length === 0) nodes.push({ label: 'no handle tables' });
    nodes.push({
      label: 'objects',
      detail: `${stats.objects.made} made, ${stats.objects.live} live`,
    });
    const refusals = Object.entries(stats.rejections).filter(([, n]) => n !== undefined && n > 0);
    nodes.push({
      label: 'refused handles',
      detail:
        refusals.length === 0 ? 'none' : refusals.map(([reason, n]) => `${n} ${reason}`).join(', '),
      ...(refusals.length === 0
        ? {}
        : { children: refusals.map(([reason, n]) => ({ label: reason, detail: String(n) })) }),
    });
    return { kind: 'tree', nodes };
  }

  private tableNode(t: TableSummary): PanelNode {
    const pages = new Map<number, TablePage>(this.handles.pages(t.space).map((p) => [p.table, p]));
    const leafEntries = t.tables.leaf === 0 ? 0 : t.capacity / t.tables.leaf;
    // Leaf k, counted in the order a walk meets them, holds indices k × leafEntries and on.
    const byLeaf = new Map<number, OpenHandle[]>();
    for (const handle of this.handles.handles(t.space)) {
      const k = Math.floor(handle.index / leafEntries);
      const list = byLeaf.get(k);
      if (list) list.push(handle);
      else byLeaf.set(k, [handle]);
    }
    const budget = { pages: PANEL_ROWS, handles: PANEL_ROWS, leaves: 0 };

    const pageNode = (address: number): PanelNode | undefined => {
      const page = pages.get(address);
      if (!page || budget.pages === 0) return undefined;
      budget.pages--;
      if (page.role !== 'leaf') {
        const children: PanelNode[] = [];
        for (const child of page.children ?? []) {
          const node = pageNode(child);
          if (node) children.push(node);
        }
        return {
          label: `${page.role} ${hex(address)}`,
          detail: plural(page.children?.length ?? 0, 'table'),
          children,
        };
      }
      const k = budget.leaves++;
      const open = byLeaf.get(k) ?? [];
      const shown = open.slice(0, budget.handles);
      budget.handles -= shown.length;
      const children: PanelNode[] = shown.map((h) => this.handleNode(t.space, h));
      if (open.length > shown.length)
        children.push({ label: `… ${plural(open.length - shown.length, 'more open handle')}` });
      return {
        label: `leaf ${hex(address)}`,
        detail: `slots ${k * leafEntries}–${(k + 1) * leafEntries - 1}: ${open.length} open`,
        children,
      };
    };

    const top = t.code - (t.levels - 1);
    const root = pageNode(top);
    const children = root ? [root] : [];
    if (pages.size > PANEL_ROWS)
      children.push({ label: `… ${plural(pages.size - PANEL_ROWS, 'more table page')}` });
    return {
      label: `space ${t.space}`,
      detail:
        `${plural(t.levels, 'level')}, table code ${hex(t.code)}; ${t.open} open, ` +
        `${t.free} free of ${t.capacity} slots (at most ${t.limit}); ${t.reuse} reuse`,
      children,
    };
  }

  private handleNode(space: number, h: OpenHandle): PanelNode {
    const resolved = this.handles.resolve(space, h.handle);
    const name = h.name === undefined ? '' : ` ${JSON.stringify(h.name)}`;
    const at = resolved.ok ? `, entry at ${hex(resolved.at)}` : '';
    return {
      label: hex(h.handle),
      detail: `slot ${h.index}, identifier ${h.identifier}: object ${h.object} (${h.type}${name})${at}`,
    };
  }
}
