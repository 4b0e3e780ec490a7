import type { ContinueResult } from '../../src/api';
import { api, isAbort, type Direction } from './api-client';
import { el, seqLink } from './dom';
import { hex } from './format';
import type { PageState } from './page-state';

export type StopKind = 'break' | 'watch' | 'rwatch' | 'awatch';

const WATCHED = { watch: 'write', rwatch: 'read', awatch: 'access' } as const;

const PLACEHOLDERS: Readonly<Record<StopKind, string>> = {
  break: 'type or prefix.  e.g. mmu.fault or heap.',
  watch: '<space>:<addr> [len]  e.g. 1:0x1000 4',
  rwatch: '<space>:<addr> [len]  e.g. 1:0x1000 4',
  awatch: '<space>:<addr> [len]  e.g. 1:0x1000 4',
};

interface Stop {
  readonly id: number;
  /** As the debugger would say it: `break mmu.fault`, `watch 1:0x1000 4`. */
  readonly description: string;
  /** As /api/continue takes it. */
  readonly param: string;
}

/** A stop as typed, in /api/continue's words; a string saying what is wrong if it is not one. */
export function parseStop(
  kind: StopKind,
  text: string,
): { description: string; param: string } | string {
  const typed = text.trim();
  if (kind === 'break') {
    if (!/^[\w.-]+$/.test(typed)) return 'break: a record type, or a prefix ending in “.”';
    return { description: `break ${typed}`, param: `break:${typed}` };
  }
  const match = /^(\d+):(0x[0-9a-f]+|\d+)(?:\s+(0x[0-9a-f]+|\d+))?$/i.exec(typed);
  if (!match) return `${kind}: <space>:<addr> [len], e.g. 1:0x1000 4`;
  const [, space, at, len] = match as unknown as [string, string, string, string | undefined];
  const va = Number(at);
  const length = len === undefined ? 1 : Number(len);
  if (!Number.isSafeInteger(va) || !Number.isSafeInteger(length) || length < 1)
    return `${kind}: the address and length must be whole numbers, the length at least 1`;
  return {
    description: `${kind} ${space}:${hex(va)} ${length}`,
    param: `watch:${WATCHED[kind]}:${space}:${hex(va)}:${length}`,
  };
}

/**
 * Breakpoints and watchpoints, as the debugger has them: continue and reverse-continue run to
 * the next record one of them matches (/api/continue), or to the run's end or start.
 */
export function mountStops(
  root: HTMLElement,
  state: PageState,
): { continueRun: (direction: Direction) => void } {
  const stops: Stop[] = [];
  let nextId = 1;

  const input = el('input', {
    testid: 'stop-input',
    type: 'text',
    'aria-label': 'Breakpoint or watchpoint',
    spellcheck: 'false',
  });
  const kind = el(
    'select',
    { testid: 'stop-kind', 'aria-label': 'Kind of stop' },
    el('option', { value: 'break' }, 'break'),
    el('option', { value: 'watch' }, 'watch (write)'),
    el('option', { value: 'rwatch' }, 'rwatch (read)'),
    el('option', { value: 'awatch' }, 'awatch (access)'),
  );
  const add = el('button', { type: 'button', testid: 'stop-add' }, 'add');
  const list = el('ul', { testid: 'stops', className: 'stops' });
  const status = el('div', { testid: 'stop-status', className: 'stop-status', role: 'status' });
  root.replaceChildren(
    el('div', { className: 'stop-tools' }, kind, input, add),
    list,
    el(
      'p',
      { className: 'quiet hint' },
      'continue (▶▶, Shift+→) and reverse-continue (◀◀, Shift+←) stop at these.',
    ),
    status,
  );

  const placeholder = () => {
    input.placeholder = PLACEHOLDERS[kind.value as StopKind];
  };
  placeholder();
  kind.addEventListener('change', placeholder);

  function addStop(): void {
    const parsed = parseStop(kind.value as StopKind, input.value);
    if (typeof parsed === 'string') {
      input.setCustomValidity(parsed);
      input.reportValidity();
      return;
    }
    input.setCustomValidity('');
    stops.push({ id: nextId++, ...parsed });
    input.value = '';
    draw();
  }
  add.addEventListener('click', addStop);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') addStop();
  });
  input.addEventListener('input', () => input.setCustomValidity(''));

  function draw(hit: readonly number[] = []): void {
    list.replaceChildren(
      ...stops.map((stop) => {
        const remove = el(
          'button',
          { type: 'button', className: 'remove', title: `Remove #${stop.id}` },
          '×',
        );
        remove.addEventListener('click', () => {
          stops.splice(stops.indexOf(stop), 1);
          draw();
        });
        return el(
          'li',
          {
            className: hit.includes(stop.id) ? 'hit' : '',
            dataset: { id: String(stop.id), stop: stop.param },
          },
          el('span', { className: 'stop-id' }, `#${stop.id}`),
          el('code', {}, stop.description),
          remove,
        );
      }),
    );
    if (stops.length === 0)
      list.append(el('li', { className: 'quiet' }, 'none: continue runs to the end (or start)'));
  }
  draw();

  function report(result: ContinueResult, direction: Direction, asked: readonly Stop[]): void {
    const { stopped } = result;
    if (!stopped) {
      status.replaceChildren(
        `reached the ${direction === 'forward' ? 'end' : 'start'} of the run (seq ${result.seq})`,
      );
      draw();
      return;
    }
    const by = stopped.by.map((i) => asked[i]).filter((s): s is Stop => s !== undefined);
    status.replaceChildren(
      `stopped by ${by.map((s) => `#${s.id} (${s.description})`).join(', ')} at `,
      seqLink(stopped.record.seq),
      `: ${stopped.record.type} by ${stopped.record.actor}`,
    );
    draw(by.map((s) => s.id));
  }

  function continueRun(direction: Direction): void {
    const asked = [...stops];
    const from = state.seq;
    const generation = state.generation;
    status.textContent = direction === 'forward' ? 'continuing…' : 'reverse-continuing…';
    void state.track(async () => {
      let result: ContinueResult;
      try {
        result = await api.continueFrom(
          from,
          direction,
          asked.map((s) => s.param),
          state.signal,
        );
      } catch (error) {
        status.textContent = isAbort(error) ? '' : 'the continue failed: see the error above';
        throw error;
      }
      // A move made meanwhile wins over this answer.
      if (state.generation !== generation) return;
      report(result, direction, asked);
      state.seek(result.seq);
    });
  }

  return { continueRun };
}
