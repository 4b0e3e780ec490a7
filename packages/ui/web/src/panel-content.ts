import type { PanelColumn, PanelContent, PanelNode, PanelValue } from '../../src/api';
import { addressLink, el, seqLink } from './dom';
import { hex } from './format';

/**
 * Draws a plugin panel's content, whatever plugin it comes from: tables, trees, facts, and
 * sections of those. `seq` values become links to records, `address` values links into the hex
 * view (links.ts follows both).
 */
export function renderContent(content: PanelContent, depth = 0): HTMLElement {
  switch (content.kind) {
    case 'table':
      return table(content);
    case 'tree':
      return el('ul', { className: 'panel-tree' }, ...content.nodes.map(treeNode));
    case 'facts':
      return el(
        'dl',
        { className: 'panel-facts' },
        ...content.facts.flatMap((f) => [el('dt', {}, f.label), el('dd', {}, value(f.value))]),
      );
    case 'sections':
      return el(
        'div',
        { className: 'panel-sections' },
        ...content.sections.map((section) =>
          el(
            'section',
            { className: 'panel-section' },
            el(depth === 0 ? 'h4' : 'h5', {}, section.title),
            renderContent(section.content, depth + 1),
          ),
        ),
      );
  }
}

function table(content: Extract<PanelContent, { kind: 'table' }>): HTMLElement {
  if (content.rows.length === 0) return el('p', { className: 'quiet' }, content.empty ?? 'nothing');
  const numeric = (c: PanelColumn) =>
    c.format === 'number' || c.format === 'hex' || c.format === 'seq';
  return el(
    'div',
    { className: 'panel-table-wrap' },
    el(
      'table',
      { className: 'panel-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...content.columns.map((c) => el('th', { className: numeric(c) ? 'num' : '' }, c.label)),
        ),
      ),
      el(
        'tbody',
        {},
        ...content.rows.map((row) =>
          el(
            'tr',
            {},
            ...content.columns.map((c) =>
              el('td', { className: numeric(c) ? 'num' : '' }, value(row[c.key] ?? null, c.format)),
            ),
          ),
        ),
      ),
    ),
    content.more ? el('p', { className: 'quiet' }, `… and ${content.more} more not shown`) : null,
  );
}

function treeNode(node: PanelNode): HTMLElement {
  const label = el(
    'span',
    { className: 'node-label' },
    node.label,
    node.detail ? el('span', { className: 'node-detail' }, ` ${node.detail}`) : null,
    node.seq !== undefined ? ' ' : null,
    node.seq !== undefined ? seqLink(node.seq) : null,
  );
  if (!node.children || node.children.length === 0) return el('li', { className: 'leaf' }, label);
  return el(
    'li',
    {},
    el(
      'details',
      { open: '' },
      el('summary', {}, label),
      el('ul', {}, ...node.children.map(treeNode)),
    ),
  );
}

/** A value as its column's format says: hex as 0x…, seqs and addresses as links. */
function value(v: PanelValue, format: PanelColumn['format'] = 'text'): Node {
  if (v === null) return el('span', { className: 'quiet' }, '—');
  if (typeof v === 'boolean') return document.createTextNode(v ? 'yes' : 'no');
  switch (format) {
    case 'hex':
      return document.createTextNode(typeof v === 'number' ? hex(v) : v);
    case 'seq':
      return typeof v === 'number' || /^\d+$/.test(v)
        ? seqLink(Number(v), String(v))
        : document.createTextNode(v);
    case 'address':
      return addressLink(typeof v === 'number' ? hex(v) : v);
    default:
      return document.createTextNode(String(v));
  }
}
