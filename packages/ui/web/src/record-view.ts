import type { RecordView } from '../../src/api';
import { el, seqLink } from './dom';

/** A record's one-line summary, shared by the current record, its causes and stop reports. */
export function recordSummary(
  record: RecordView,
  colourOf: (plugin: string) => string,
): HTMLElement {
  const dot = el('span', { className: 'plugin-dot', title: record.plugin });
  dot.style.background = colourOf(record.plugin);
  return el(
    'span',
    { className: 'record-summary' },
    dot,
    seqLink(record.seq),
    ' ',
    el('span', { className: 'type' }, record.type),
    record.mark && el('span', { className: `mark ${record.mark}` }, record.mark),
    ' ',
    el('span', { className: 'actor' }, record.actor),
  );
}
