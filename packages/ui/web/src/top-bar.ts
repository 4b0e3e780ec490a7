import type { Direction } from './api-client';
import { el, typingInField } from './dom';
import { count } from './format';
import type { PageState } from './page-state';

const HELP: readonly (readonly [string, string])[] = [
  ['← / →', 'step one record back / forward'],
  ['Shift+← / Shift+→', 'reverse-continue / continue to the next breakpoint or watchpoint'],
  ['Home / End', 'the start / the end of the run'],
  ['Timeline', 'click or drag to move; red ticks are violations, orange faults, flags bookmarks'],
  ['Memory bytes', 'hover: its last write · click: go there, the byte selected for why'],
  ['why', 'where the selected byte came from, write by write, through copies'],
  ['Links', '“seq N” goes to that record; “1:0x…” opens the memory view there'],
];

/**
 * The top bar: where the page is (`seq N / head`), and the ways to move: a seq to type, the
 * debugger's moves as buttons, the run's bookmarks.
 */
export function mountTopBar(
  root: HTMLElement,
  state: PageState,
  continueRun: (direction: Direction) => void,
): void {
  const { run } = state;
  const seqText = el('span', { testid: 'seq', className: 'seq-number' }, '0');
  const seqInput = el('input', {
    testid: 'seq-input',
    type: 'text',
    inputmode: 'numeric',
    placeholder: 'go to seq',
    'aria-label': 'Go to seq (Enter)',
    size: '10',
  });
  seqInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    const seq = Number(seqInput.value.trim());
    if (seqInput.value.trim() === '' || !Number.isSafeInteger(seq) || seq < 0) {
      seqInput.setCustomValidity('a seq: 0 to the head');
      seqInput.reportValidity();
      return;
    }
    seqInput.setCustomValidity('');
    // Back to the page, so that the arrow keys step from there.
    seqInput.blur();
    state.seek(seq);
  });

  const button = (testid: string, label: string, title: string, action: () => void) => {
    const b = el('button', { type: 'button', testid, title }, label);
    b.addEventListener('click', action);
    return b;
  };
  const moves = el(
    'div',
    { className: 'moves', role: 'group', 'aria-label': 'Move' },
    button('btn-start', '|◀', 'Start (Home)', () => state.seek(0)),
    button('btn-rcontinue', '◀◀', 'Reverse-continue (Shift+←)', () => continueRun('backward')),
    button('btn-rstep', '◀', 'Reverse-step (←)', () => state.seek(state.seq - 1)),
    button('btn-step', '▶', 'Step (→)', () => state.seek(state.seq + 1)),
    button('btn-continue', '▶▶', 'Continue (Shift+→)', () => continueRun('forward')),
    button('btn-end', '▶|', 'End (End)', () => state.seek(state.head)),
  );

  const bookmarks = el(
    'select',
    { testid: 'bookmarks', 'aria-label': 'Bookmarks' },
    el('option', { value: '' }, run.bookmarks.length > 0 ? 'bookmarks…' : 'no bookmarks'),
    ...run.bookmarks.map((b) =>
      el(
        'option',
        { value: String(b.seq), title: b.note },
        `${b.name} (seq ${b.seq})${b.note ? ` — ${b.note}` : ''}`,
      ),
    ),
  );
  bookmarks.disabled = run.bookmarks.length === 0;
  bookmarks.addEventListener('change', () => {
    if (bookmarks.value !== '') state.seek(Number(bookmarks.value));
    // Back to the prompt, so choosing the same bookmark again seeks again.
    bookmarks.value = '';
  });

  const help = el(
    'details',
    { className: 'help' },
    el('summary', {}, 'help'),
    el('dl', {}, ...HELP.flatMap(([keys, what]) => [el('dt', {}, keys), el('dd', {}, what)])),
  );

  root.replaceChildren(
    el('span', { className: 'brand' }, 'chronovisor'),
    el('span', { className: 'file', title: `${run.file}: ${count(run.head)} records` }, run.file),
    el(
      'span',
      { className: 'position' },
      'seq ',
      seqText,
      ' / ',
      el('span', { testid: 'head' }, String(run.head)),
    ),
    seqInput,
    moves,
    bookmarks,
    help,
  );

  state.onSeek((seq) => {
    seqText.textContent = String(seq);
  });
}

/** ←/→ step, Shift+←/→ continue, Home/End: unless a form field has the keys. */
export function bindKeys(state: PageState, continueRun: (direction: Direction) => void): void {
  document.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || typingInField(event.target)) return;
    const action: Record<string, (() => void) | undefined> = {
      ArrowLeft: event.shiftKey ? () => continueRun('backward') : () => state.seek(state.seq - 1),
      ArrowRight: event.shiftKey ? () => continueRun('forward') : () => state.seek(state.seq + 1),
      Home: () => state.seek(0),
      End: () => state.seek(state.head),
    };
    const run = action[event.key];
    if (!run) return;
    event.preventDefault();
    run();
  });
}
