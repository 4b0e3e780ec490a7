import { el } from './dom';

/**
 * Browsers cap an element's height (Firefox near 17.9M px, Chromium at 33.5M): past this the
 * scroll height stands for the rows at a scale, and the wheel moves by rows, not pixels.
 */
const MAX_SCROLL_HEIGHT = 8_000_000;

/**
 * A list of `total` fixed-height rows of which only the visible ones exist: a pool of row
 * elements in a sticky layer, re-labelled as the position moves. The position is a row number
 * (fractional: the top row may be partly scrolled off); the scrollbar stands for it, scaled when
 * the rows' true height would pass what the browser can hold.
 */
export class VirtualScroller {
  readonly element: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private total = 0;
  /** The row at the top of the view (its fraction: how much of it is scrolled off). */
  private first = 0;
  /** The scrollTop the scroller last set itself: its own scroll event is no user's move. */
  private ownScrollTop = -1;

  constructor(
    private readonly rowHeight: number,
    /** Draws row `index` into `row` (a pooled element: set everything, keep nothing). */
    private readonly drawRow: (row: HTMLElement, index: number) => void,
    /** Rows first to last (inclusive) are on show: a chance to load them. */
    private readonly onShow: (first: number, last: number) => void,
  ) {
    this.layer = el('div', { className: 'vs-layer' });
    this.spacer = el('div', { className: 'vs-spacer' });
    this.element = el('div', { className: 'vs', tabindex: '0' }, this.layer, this.spacer);
    this.element.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.element.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    new ResizeObserver(() => this.layout()).observe(this.element);
  }

  get rows(): number {
    return this.total;
  }

  /** Rows that fit in the view, fractionally. */
  private get visibleRows(): number {
    return this.element.clientHeight / this.rowHeight;
  }

  private get maxFirst(): number {
    return Math.max(0, this.total - this.visibleRows);
  }

  private get contentHeight(): number {
    return Math.max(
      this.element.clientHeight,
      Math.min(this.total * this.rowHeight, MAX_SCROLL_HEIGHT),
    );
  }

  private get scrollRange(): number {
    return Math.max(0, this.contentHeight - this.element.clientHeight);
  }

  private get scaled(): boolean {
    return this.total * this.rowHeight > MAX_SCROLL_HEIGHT;
  }

  setTotal(total: number): void {
    this.total = total;
    this.layout();
  }

  /** Shows row `index`, moving only if it is not on show already (then a third down the view). */
  reveal(index: number): void {
    const shown = index >= this.first && index + 1 <= this.first + this.visibleRows;
    if (shown) this.draw();
    else this.moveTo(index - Math.floor(this.visibleRows / 3));
  }

  /** Draws the rows again (their data or highlight changed). */
  draw(): void {
    const count = Math.ceil(this.visibleRows) + 1;
    while (this.pool.length < count) {
      const row = el('div', { className: 'vs-row' });
      row.style.height = `${this.rowHeight}px`;
      this.pool.push(row);
      this.layer.append(row);
    }
    const top = Math.floor(this.first);
    const offset = -(this.first - top) * this.rowHeight;
    this.pool.forEach((row, k) => {
      const index = top + k;
      if (k >= count || index >= this.total) {
        // Emptied, so that nothing finds a stale row by its data.
        row.hidden = true;
        for (const name of Object.keys(row.dataset)) delete row.dataset[name];
        row.replaceChildren();
        return;
      }
      row.hidden = false;
      row.style.transform = `translateY(${offset + k * this.rowHeight}px)`;
      this.drawRow(row, index);
    });
    if (this.total > 0) this.onShow(top, Math.min(this.total, top + count) - 1);
  }

  private layout(): void {
    this.layer.style.height = `${this.element.clientHeight}px`;
    this.spacer.style.height = `${this.scrollRange}px`;
    this.moveTo(this.first);
  }

  private moveTo(first: number): void {
    this.first = Math.max(0, Math.min(this.maxFirst, first));
    const maxFirst = this.maxFirst;
    this.element.scrollTop = maxFirst > 0 ? (this.first / maxFirst) * this.scrollRange : 0;
    this.ownScrollTop = this.element.scrollTop;
    this.draw();
  }

  private onScroll(): void {
    const top = this.element.scrollTop;
    if (Math.abs(top - this.ownScrollTop) < 1) return;
    const range = this.scrollRange;
    this.first = range > 0 ? (top / range) * this.maxFirst : 0;
    this.ownScrollTop = top;
    this.draw();
  }

  private onWheel(event: WheelEvent): void {
    // Unscaled, the browser's own scrolling is right; scaled, a pixel would be many rows.
    if (!this.scaled || event.deltaY === 0) return;
    event.preventDefault();
    const rows =
      event.deltaMode === WheelEvent.DOM_DELTA_PIXEL
        ? event.deltaY / this.rowHeight
        : event.deltaMode === WheelEvent.DOM_DELTA_LINE
          ? event.deltaY
          : event.deltaY * this.visibleRows;
    this.moveTo(this.first + rows);
  }
}
