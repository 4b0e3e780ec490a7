import type { Provenance } from '../../src/api';
import { el, seqLink } from './dom';
import { address } from './format';

/**
 * Where a byte came from (/api/why), newest step first: each write, copy or load a link to its
 * record. It stays put as the user follows the links, so the next step is still there to click.
 */
export class ProvenanceView {
  private readonly list = el('ol', { testid: 'provenance', className: 'provenance' });
  private readonly heading = el('h3', {}, 'Why');

  constructor(private readonly root: HTMLElement) {
    root.replaceChildren(this.heading, this.list);
    root.hidden = true;
  }

  show(at: { seq: number; space: number; va: number }, provenance: Provenance): void {
    this.heading.textContent = `Why ${address(at.space, at.va)} holds its value at seq ${at.seq}`;
    this.list.replaceChildren(
      ...provenance.steps.map((step) =>
        el(
          'li',
          { className: `step ${step.how}` },
          seqLink(step.seq),
          ' ',
          el('span', { className: `how ${step.how}` }, step.how),
          ' ',
          // The server's line says the rest: where, by whom, for which command.
          el('span', { className: 'text' }, step.text),
        ),
      ),
    );
    if (provenance.steps.length === 0)
      this.list.append(
        el('li', { className: 'quiet' }, 'never written: it holds what it was born with'),
      );
    this.root.hidden = false;
  }
}
