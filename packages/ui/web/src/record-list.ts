import type { RecordView } from '../../src/api';
import type { RecordFilter } from './api-client';
import { el } from './dom';
import { count } from './format';
import type { PageState } from './page-state';
import { FilteredRecords, RunRecords } from './record-sources';
import { VirtualScroller } from './virtual-scroller';

const ROW_HEIGHT = 20;
/** Typing settles this long before the filter applies (Enter applies at once). */
const FILTER_DELAY_MS = 300;

/** `mmu.` `heap.alloc` `actor=p1`, space-separated; empty: no filter. */
export function parseFilter(text: string, marks: boolean): RecordFilter | undefined {
  let type: string | undefined;
  let actor: string | undefined;
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    if (word.startsWith('actor=')) actor = word.slice('actor='.length);
    else type = word;
  }
  return type === undefined && actor === undefined && !marks ? undefined : { type, actor, marks };
}

/**
 * Every record of the run in a windowed list (or the records a filter matches), the position's
 * record highlighted and brought into view at each seek. Clicking a row goes there.
 */
export function mountRecordList(
  root: HTMLElement,
  state: PageState,
  colourOf: (plugin: string) => string,
): void {
  const filterInput = el('input', {
    testid: 'record-filter',
    type: 'search',
    placeholder: 'filter: type, prefix. or actor=…',
    'aria-label': 'Filter records: a type, a prefix ending in a dot, or actor=name',
    list: 'record-types',
  });
  const types = el(
    'datalist',
    { id: 'record-types' },
    ...prefixesAndTypes(state.run.types).map((t) => el('option', { value: t })),
  );
  const marksBox = el('input', { testid: 'filter-marks', type: 'checkbox' });
  const summary = el('span', { className: 'list-summary quiet' });
  const track = (work: () => Promise<void>) => state.track(work);

  const runRecords = new RunRecords(state.head, track, () => scroller.draw());
  let source: RunRecords | FilteredRecords = runRecords;

  const scroller = new VirtualScroller(ROW_HEIGHT, drawRow, (first, last) => {
    void source.load(first, last);
    describe();
  });
  scroller.element.dataset.testid = 'record-list';
  scroller.element.classList.add('record-list');
  scroller.element.setAttribute('aria-label', 'Records');

  // The seq column as wide as the run's last seq.
  root.style.setProperty('--seq-digits', String(String(state.head).length));
  root.replaceChildren(
    el(
      'div',
      { className: 'list-tools' },
      filterInput,
      types,
      el('label', {}, marksBox, ' faults & violations'),
    ),
    el(
      'div',
      { className: 'list-header' },
      el('span', { className: 'seq' }, 'seq'),
      el('span', { className: 'type' }, 'type'),
      el('span', { className: 'actor' }, 'actor'),
      el('span', { className: 'text' }, 'payload'),
    ),
    scroller.element,
    summary,
  );

  function drawRow(row: HTMLElement, index: number): void {
    const record = source.at(index);
    row.classList.toggle('more', !record);
    if (!record) {
      row.removeAttribute('data-seq');
      row.removeAttribute('data-current');
      row.classList.remove('current', 'fault', 'violation', 'rejected');
      row.style.borderLeftColor = 'transparent';
      row.replaceChildren(
        el(
          'span',
          { className: 'quiet' },
          source instanceof RunRecords
            ? `${index + 1} …`
            : `scanning from seq ${source.scannedTo ?? '?'}…`,
        ),
      );
      return;
    }
    const current = record.seq === state.seq;
    row.dataset.seq = String(record.seq);
    row.dataset.current = String(current);
    row.classList.toggle('current', current);
    row.classList.toggle('fault', record.mark === 'fault');
    row.classList.toggle('violation', record.mark === 'violation');
    row.style.borderLeftColor = colourOf(record.plugin);
    row.classList.toggle('rejected', record.rejection !== undefined);
    const marked = record.mark ?? (record.rejection && 'refused');
    row.title = `${record.type}${marked ? ` (${marked})` : ''} by ${record.actor} at tick ${record.tick}: ${record.text}`;
    row.replaceChildren(...cells(record));
  }

  function describe(): void {
    summary.textContent =
      source instanceof RunRecords
        ? `${count(state.head)} records`
        : `${count(source.matches)} matching` +
          (source.scannedTo === undefined
            ? ' (whole run)'
            : ` (scanned to seq ${count(source.scannedTo)} of ${count(state.head)})`);
  }

  /** Brings the position's row into view; resolves once its records have arrived. */
  async function showPosition(seq: number): Promise<void> {
    if (source instanceof RunRecords) {
      if (seq > 0) scroller.reveal(seq - 1);
      else scroller.draw();
      if (seq > 0) await runRecords.load(seq - 1, seq - 1);
    } else {
      const index = source.indexOf(seq);
      if (index >= 0) scroller.reveal(index);
      else scroller.draw();
    }
  }

  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  function applyFilter(): void {
    clearTimeout(filterTimer);
    const filter = parseFilter(filterInput.value, marksBox.checked);
    if (source instanceof FilteredRecords) source.close();
    source = filter ? new FilteredRecords(filter, track, () => refresh()) : runRecords;
    refresh();
    void showPosition(state.seq);
  }
  function refresh(): void {
    scroller.setTotal(source.rows);
    describe();
  }
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(applyFilter, FILTER_DELAY_MS);
  });
  filterInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') applyFilter();
  });
  marksBox.addEventListener('change', applyFilter);

  scroller.element.addEventListener('click', (event) => {
    const row = (event.target as Element).closest<HTMLElement>('.vs-row[data-seq]');
    if (row) state.seek(Number(row.dataset.seq));
  });

  refresh();
  state.onSeek((seq) => showPosition(seq));
}

function cells(record: RecordView): HTMLElement[] {
  return [
    el('span', { className: 'seq' }, String(record.seq)),
    // The mark shows as the type's colour (and in the row's title): a badge would not fit.
    el('span', { className: 'type' }, record.type),
    el('span', { className: 'actor' }, record.actor),
    el('span', { className: 'text' }, record.text),
  ];
}

/** The run's types, and each prefix of them (`mmu.`), for the filter's suggestions. */
function prefixesAndTypes(types: readonly string[]): string[] {
  const prefixes = new Set<string>();
  for (const type of types) {
    const parts = type.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(`${parts.slice(0, i).join('.')}.`);
  }
  return [...[...prefixes].sort(), ...[...types].sort()];
}
