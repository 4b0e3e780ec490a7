import { api } from './api-client';
import { el } from './dom';
import type { PageState } from './page-state';
import { renderContent } from './panel-content';

/**
 * Each plugin's panel at the position (/api/panels), titled and collapsible; each keeps its
 * open or closed state across moves.
 */
export function mountPanels(root: HTMLElement, state: PageState): void {
  const container = el('div', { testid: 'panels', className: 'panels' });
  root.replaceChildren(container);
  const closed = new Set<string>();

  state.onSeek(async (seq, signal) => {
    const view = await api.panels(seq, signal);
    if (signal.aborted) return;
    container.replaceChildren(
      ...view.panels.map((panel) => {
        const details = el(
          'details',
          { testid: `panel-${panel.name}`, className: 'panel' },
          el('summary', {}, panel.title),
          renderContent(panel.content),
        );
        details.open = !closed.has(panel.name);
        details.addEventListener('toggle', () => {
          if (details.open) closed.delete(panel.name);
          else closed.add(panel.name);
        });
        return details;
      }),
    );
    if (view.panels.length === 0)
      container.append(el('p', { className: 'quiet' }, 'no plugin in this run has a panel'));
  });
}
