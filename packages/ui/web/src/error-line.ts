import { isAbort } from './api-client';
import { el, replace } from './dom';

/**
 * The visible error line: every failed request lands here, never silently. It keeps the latest
 * message (and how many came before it) until dismissed.
 */
export class ErrorLine {
  private shown = 0;

  constructor(private readonly element: HTMLElement) {}

  show(error: unknown): void {
    if (isAbort(error)) return;
    const message = error instanceof Error ? error.message : String(error);
    this.shown += 1;
    const dismiss = el('button', { type: 'button', className: 'dismiss', title: 'Dismiss' }, '×');
    dismiss.addEventListener('click', () => this.clear());
    replace(
      this.element,
      el('span', { className: 'message' }, message),
      this.shown > 1 ? el('span', { className: 'earlier' }, ` (+${this.shown - 1} earlier)`) : null,
      dismiss,
    );
    this.element.hidden = false;
  }

  clear(): void {
    this.shown = 0;
    this.element.replaceChildren();
    this.element.hidden = true;
  }
}
