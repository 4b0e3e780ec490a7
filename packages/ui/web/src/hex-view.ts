import type { MemoryMapView } from '../../src/api';
import { api } from './api-client';
import { el } from './dom';
import { address, hex, hexByte, parseHexAddress } from './format';
import { describeWrite, LastWrites } from './last-writes';
import type { MemoryLayouts } from './memory-layouts';
import type { PageState } from './page-state';
import type { ProvenanceView } from './provenance';

const BYTES = 256;
const PER_ROW = 16;
/** A hover this short is passing over a byte, not asking about it. */
const HOVER_DELAY_MS = 80;

interface Shown {
  readonly seq: number;
  readonly space: number;
  readonly start: number;
  readonly bytes: readonly (number | null)[];
  /** Which bytes differ from the previous position this range was shown at. */
  readonly changed: readonly boolean[];
}

/**
 * 256 bytes of one space at the position (/api/memory), `..` where nothing is mapped; the bytes
 * the last move changed are highlighted. Hover a byte: its last write. Click: go there, the byte
 * selected (for `why`).
 */
export class HexView {
  private readonly spaceSelect = el('select', { testid: 'hex-space', 'aria-label': 'Space' });
  private readonly addressInput = el('input', {
    testid: 'hex-address',
    type: 'text',
    placeholder: '0x…',
    'aria-label': 'Address in hex (Enter)',
    size: '14',
    spellcheck: 'false',
  });
  private readonly grid = el('div', { testid: 'hex-view', className: 'hex-grid' });
  private readonly tooltip = el('div', {
    testid: 'last-writer',
    className: 'last-writer',
    role: 'tooltip',
  });
  private readonly whyButton = el(
    'button',
    { type: 'button', testid: 'why', title: 'Where the selected byte came from' },
    'why?',
  );
  private readonly status = el('div', { className: 'hex-status quiet' });
  private readonly container: HTMLElement;
  private readonly writes = new LastWrites();

  private space: number | undefined;
  private start = 0;
  private selected: { space: number; va: number } | undefined;
  private shown: Shown | undefined;
  private loadAbort = new AbortController();
  private hoverTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: HTMLElement,
    private readonly state: PageState,
    private readonly layouts: MemoryLayouts,
    private readonly provenance: ProvenanceView,
  ) {
    const page = (delta: number) => {
      const b = el(
        'button',
        { type: 'button', title: `${delta < 0 ? 'Previous' : 'Next'} ${BYTES} bytes` },
        delta < 0 ? '▲' : '▼',
      );
      b.addEventListener('click', () => {
        this.start = Math.max(0, this.start + delta);
        this.reload();
      });
      return b;
    };
    this.container = el(
      'div',
      { className: 'hex' },
      el(
        'div',
        { className: 'hex-tools' },
        el('label', {}, 'space ', this.spaceSelect),
        el('label', {}, 'address ', this.addressInput),
        page(-BYTES),
        page(BYTES),
        this.whyButton,
      ),
      this.grid,
      this.status,
      this.tooltip,
    );
    root.replaceChildren(this.container);
    this.tooltip.hidden = true;
    this.whyButton.disabled = true;

    this.spaceSelect.addEventListener('change', () => {
      this.space = Number(this.spaceSelect.value);
      this.reload();
    });
    this.addressInput.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      const va = parseHexAddress(this.addressInput.value);
      if (va === undefined) {
        this.addressInput.setCustomValidity('an address in hex, e.g. 0x1000');
        this.addressInput.reportValidity();
        return;
      }
      this.addressInput.setCustomValidity('');
      this.start = va;
      this.reload();
    });
    this.grid.addEventListener('mouseover', (event) => this.hover(event));
    this.grid.addEventListener('mouseleave', () => {
      clearTimeout(this.hoverTimer);
      this.tooltip.hidden = true;
    });
    // A click selects the byte (for why) and goes to its last write, which why's chain starts at.
    this.grid.addEventListener('click', (event) => {
      const va = byteOf(event.target);
      if (va === undefined || this.space === undefined) return;
      this.select(this.space, va);
      this.goToLastWrite(va);
    });
    this.whyButton.addEventListener('click', () => this.why());

    state.onSeek((seq, signal) => this.load(seq, signal));
  }

  /** Shows `va` of `space` (its row of 16 at the top) and selects that byte. */
  open(space: number, va: number): void {
    this.space = space;
    this.start = Math.floor(va / PER_ROW) * PER_ROW;
    this.selected = { space, va };
    this.reload();
    this.container.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  private reload(): void {
    void this.state.track(() => this.load(this.state.seq, this.state.signal));
  }

  private async load(seq: number, seekSignal: AbortSignal): Promise<void> {
    this.loadAbort.abort();
    this.loadAbort = new AbortController();
    const signal = AbortSignal.any([seekSignal, this.loadAbort.signal]);
    const layout = await this.layouts.at(seq, signal);
    if (signal.aborted) return;
    this.chooseSpace(layout);
    this.listSpaces(layout);
    this.addressInput.value = hex(this.start);
    const space = this.space;
    if (space === undefined) {
      this.shown = undefined;
      this.grid.replaceChildren(el('p', { className: 'quiet' }, `no address space at seq ${seq}`));
      return;
    }
    if (!layout.spaces.some((s) => s.id === space)) {
      this.grid.replaceChildren(
        el('p', { className: 'quiet' }, `space ${space} does not exist at seq ${seq}`),
      );
      return;
    }
    const memory = await api.memory(seq, space, this.start, BYTES, signal);
    if (signal.aborted) return;
    this.show(seq, space, this.start, memory.bytes);
  }

  /** Until there is a space to show, looks for one: the first, at its first loaded mapping. */
  private chooseSpace(layout: MemoryMapView): void {
    if (this.space !== undefined) return;
    const space = layout.spaces.find((s) => s.runs.length > 0) ?? layout.spaces[0];
    if (!space) return;
    const run = space.runs.find((r) => r.state !== 'lazy') ?? space.runs[0];
    this.space = space.id;
    this.start = run?.va ?? 0;
  }

  private listSpaces(layout: MemoryMapView): void {
    const options = layout.spaces.map((s) =>
      el('option', { value: String(s.id) }, `${s.id} · ${s.kind} · ${s.partition}`),
    );
    if (this.space !== undefined && !layout.spaces.some((s) => s.id === this.space))
      options.push(el('option', { value: String(this.space) }, `${this.space} (not there now)`));
    this.spaceSelect.replaceChildren(...options);
    if (this.space !== undefined) this.spaceSelect.value = String(this.space);
  }

  private show(seq: number, space: number, start: number, bytes: readonly (number | null)[]): void {
    const before = this.shown;
    const sameRange = before?.space === space && before.start === start;
    const changed =
      sameRange && before.seq === seq
        ? before.changed
        : bytes.map((b, i) => sameRange && before.bytes[i] !== b);
    this.shown = { seq, space, start, bytes, changed };

    const rows: HTMLElement[] = [];
    for (let row = 0; row < bytes.length; row += PER_ROW) {
      const cells: HTMLElement[] = [];
      let text = '';
      for (let i = row; i < Math.min(bytes.length, row + PER_ROW); i++) {
        const value = bytes[i] ?? null;
        const va = start + i;
        const cell = el(
          'span',
          {
            className: 'byte',
            testid: `byte-${hex(va)}`,
            dataset: { va: String(va) },
          },
          value === null ? '..' : hexByte(value),
        );
        cell.classList.toggle('unmapped', value === null);
        cell.classList.toggle('changed', changed[i] === true);
        cell.classList.toggle(
          'selected',
          this.selected?.space === space && this.selected.va === va,
        );
        cells.push(cell);
        text +=
          value === null ? ' ' : value >= 0x20 && value < 0x7f ? String.fromCharCode(value) : '·';
      }
      rows.push(
        el(
          'div',
          { className: 'hex-row' },
          el('span', { className: 'hex-address' }, hex(start + row)),
          el('span', { className: 'hex-bytes' }, ...cells),
          el('span', { className: 'hex-text' }, text),
        ),
      );
    }
    this.grid.replaceChildren(...rows);
    const changes = changed.filter(Boolean).length;
    this.describeSelection(changes > 0 ? `${changes} bytes changed by the last move` : '');
  }

  private select(space: number, va: number): void {
    this.selected = { space, va };
    for (const cell of this.grid.querySelectorAll<HTMLElement>('.byte'))
      cell.classList.toggle('selected', Number(cell.dataset.va) === va);
    this.describeSelection('');
  }

  private describeSelection(extra: string): void {
    const selected = this.selected;
    this.whyButton.disabled = selected === undefined;
    const value =
      selected && this.shown?.space === selected.space
        ? this.shown.bytes[selected.va - this.shown.start]
        : undefined;
    this.status.textContent = [
      selected &&
        `selected ${address(selected.space, selected.va)}` +
          (value === undefined ? '' : ` = ${value === null ? 'not mapped' : hex(value)}`),
      extra,
    ]
      .filter(Boolean)
      .join(' · ');
  }

  private hover(event: MouseEvent): void {
    const target = event.target;
    const va = byteOf(target);
    if (va === undefined || !(target instanceof HTMLElement) || this.space === undefined) return;
    clearTimeout(this.hoverTimer);
    const { seq } = this.state;
    const space = this.space;
    this.place(target);
    if (target.classList.contains('unmapped')) {
      this.tip(`${address(space, va)}: not mapped`);
      return;
    }
    this.tip(`${address(space, va)}: …`);
    this.hoverTimer = setTimeout(() => {
      void this.state.track(async () => {
        const write = await this.writes.at(seq, space, va, this.state.signal);
        // Only if the pointer is still on this byte, at this position.
        if (this.state.seq !== seq || this.tooltip.dataset.va !== String(va)) return;
        this.tip(`${address(space, va)}: ${describeWrite(write)}`, write?.seq);
      });
    }, HOVER_DELAY_MS);
  }

  private place(cell: HTMLElement): void {
    const box = this.container.getBoundingClientRect();
    const at = cell.getBoundingClientRect();
    this.tooltip.style.left = `${Math.max(0, at.left - box.left - 40)}px`;
    this.tooltip.style.top = `${at.bottom - box.top + 4}px`;
    this.tooltip.dataset.va = cell.dataset.va ?? '';
    this.tooltip.hidden = false;
  }

  private tip(text: string, seq?: number): void {
    this.tooltip.textContent = text;
    if (seq === undefined) this.tooltip.removeAttribute('data-seq');
    else this.tooltip.dataset.seq = String(seq);
  }

  private goToLastWrite(va: number): void {
    const space = this.space;
    if (space === undefined) return;
    const { seq } = this.state;
    void this.state.track(async () => {
      const write = await this.writes.at(seq, space, va, this.state.signal);
      if (this.state.seq !== seq) return;
      if (write) this.state.seek(write.seq);
      else this.describeSelection(`${address(space, va)} was never written`);
    });
  }

  private why(): void {
    const selected = this.selected;
    if (!selected) return;
    const { seq } = this.state;
    void this.state.track(async () => {
      const provenance = await api.why(seq, selected.space, selected.va, this.state.signal);
      if (this.state.seq === seq) this.provenance.show({ seq, ...selected }, provenance);
    });
  }
}

/** The va of a byte cell, if `target` is one. */
function byteOf(target: EventTarget | null): number | undefined {
  if (!(target instanceof HTMLElement) || !target.classList.contains('byte')) return undefined;
  return Number(target.dataset.va);
}
