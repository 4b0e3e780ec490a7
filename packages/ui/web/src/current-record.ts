import type { Position } from '../../src/api';
import { api } from './api-client';
import { el, replace } from './dom';
import type { PageState } from './page-state';
import { recordSummary } from './record-view';

/**
 * The record at the position (/api/seek) and the commands that caused it, outermost first, as
 * the debugger's `where` tells it.
 */
export function mountCurrentRecord(
  root: HTMLElement,
  state: PageState,
  colourOf: (plugin: string) => string,
): void {
  const card = el('div', { testid: 'current-record', className: 'current-record' });
  const causes = el('ol', { testid: 'causes', className: 'causes' });
  root.replaceChildren(card, el('h3', {}, 'Caused by'), causes);

  function show(position: Position): void {
    const { record } = position;
    card.dataset.seq = String(position.seq);
    card.dataset.type = record?.type ?? '';
    if (!record) {
      card.replaceChildren(el('p', { className: 'quiet' }, 'Before the first record (seq 0).'));
    } else {
      replace(
        card,
        el('div', { className: 'headline' }, recordSummary(record, colourOf)),
        el(
          'dl',
          { className: 'record-facts' },
          el('dt', {}, 'kind'),
          el('dd', {}, record.kind),
          el('dt', {}, 'tick'),
          el('dd', {}, String(record.tick)),
          el('dt', {}, 'plugin'),
          el('dd', {}, record.plugin),
        ),
        el('pre', { className: 'payload' }, record.text || '(no payload)'),
        record.rejection &&
          el(
            'p',
            { className: 'rejection' },
            `refused: ${record.rejection.error}: ${record.rejection.message}`,
          ),
      );
    }
    causes.replaceChildren(
      ...position.causes.map((cause) =>
        el('li', {}, recordSummary(cause, colourOf), el('span', { className: 'text' }, cause.text)),
      ),
    );
    if (position.causes.length === 0)
      causes.append(el('li', { className: 'quiet' }, record ? 'no command: a root record' : '—'));
  }

  state.onSeek(async (seq, signal) => {
    const position = await api.seek(seq, signal);
    if (!signal.aborted) show(position);
  });
}
