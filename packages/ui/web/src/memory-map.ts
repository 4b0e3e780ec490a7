import type { FrameState, MemoryMapView } from '../../src/api';
import { STATE_COLOURS, STATE_LABELS } from './colours';
import { el, replace } from './dom';
import { count, hex } from './format';
import type { MemoryLayouts } from './memory-layouts';
import type { PageState } from './page-state';

type Partition = MemoryMapView['partitions'][number];
type Space = MemoryMapView['spaces'][number];

const STATES = Object.keys(STATE_COLOURS) as FrameState[];
/** The tallest a partition's grid grows before cells shrink (and then hold several frames). */
const GRID_MAX_HEIGHT = 96;
const CELL_SIZES = [8, 6, 5, 4, 3, 2];

/**
 * Physical memory and the spaces on it, at the position: each partition a grid of its frames,
 * coloured by state; each address space a bar of its mappings, in va order. Clicking a mapping
 * opens it in the hex view.
 */
export function mountMemoryMap(
  root: HTMLElement,
  state: PageState,
  layouts: MemoryLayouts,
  openAddress: (space: number, va: number) => void,
): void {
  const partitions = el('div', { className: 'partitions' });
  const spaces = el('div', { className: 'spaces' });
  const hover = el('div', { className: 'map-hover quiet' }, '\u00a0');
  root.replaceChildren(
    el(
      'div',
      { testid: 'memory-map', className: 'memory-map' },
      legend(),
      el('h3', {}, 'Physical frames'),
      partitions,
      hover,
      el('h3', {}, 'Address spaces'),
      spaces,
    ),
  );

  let shown: MemoryMapView | undefined;

  function show(map: MemoryMapView): void {
    shown = map;
    partitions.replaceChildren(...map.partitions.map((p) => partitionView(p, map.pageSize, hover)));
    replace(
      spaces,
      ...map.spaces.map((s) => spaceView(s, map.pageSize, openAddress)),
      map.spaces.length === 0 ? el('p', { className: 'quiet' }, 'no address space yet') : null,
    );
    if (map.partitions.length === 0)
      partitions.append(el('p', { className: 'quiet' }, 'no physical memory yet'));
  }

  // Grids are drawn to the width they have: draw again when it changes.
  let width = 0;
  new ResizeObserver(() => {
    if (shown && partitions.clientWidth !== width) {
      width = partitions.clientWidth;
      show(shown);
    }
  }).observe(partitions);

  state.onSeek(async (seq, signal) => {
    const map = await layouts.at(seq, signal);
    if (!signal.aborted) show(map);
  });
}

function legend(): HTMLElement {
  return el(
    'ul',
    { className: 'legend' },
    ...STATES.map((s) => {
      const mark = el('span', { className: `swatch ${s}` });
      mark.style.background = STATE_COLOURS[s];
      return el('li', {}, mark, STATE_LABELS[s]);
    }),
  );
}

function partitionView(partition: Partition, pageSize: number, hover: HTMLElement): HTMLElement {
  const canvas = el('canvas', { className: 'frames' });
  const totals = new Map<FrameState, number>();
  for (const [s, n] of partition.states) totals.set(s, (totals.get(s) ?? 0) + n);
  const view = el(
    'div',
    {
      className: 'partition',
      testid: `partition-${partition.name}`,
      dataset: { states: partition.states.map(([s, n]) => `${s}:${n}`).join(',') },
    },
    el(
      'div',
      { className: 'partition-head' },
      el('strong', {}, partition.name),
      ` · ${count(partition.frames)} frames from ${hex(partition.base)} · `,
      [...totals].map(([s, n]) => `${s} ${count(n)}`).join(', '),
    ),
    canvas,
  );
  // Drawn once the canvas is in the page and has a width.
  requestAnimationFrame(() => {
    const grid = drawFrames(canvas, partition);
    canvas.addEventListener('pointermove', (event) => {
      const frame = grid.frameAt(event.offsetX, event.offsetY);
      if (frame === undefined) return;
      const host = partition.base + frame;
      hover.textContent =
        `${partition.name}: frame ${host} (${hex(host * pageSize)})` +
        (grid.perCell > 1 ? ` to ${host + grid.perCell - 1}` : '') +
        `: ${stateOf(partition, frame) ?? '?'}`;
    });
    canvas.addEventListener('pointerleave', () => {
      hover.textContent = '\u00a0';
    });
  });
  return view;
}

/** The state of a partition's frame (relative to its base). */
function stateOf(partition: Partition, frame: number): FrameState | undefined {
  let start = 0;
  for (const [s, n] of partition.states) {
    if (frame < start + n) return s;
    start += n;
  }
  return undefined;
}

/**
 * Draws a partition's frames as a grid, a cell per frame where they fit; otherwise each cell
 * holds several, coloured by the state most of its used frames are in (free only if all are).
 */
function drawFrames(
  canvas: HTMLCanvasElement,
  partition: Partition,
): { perCell: number; frameAt(x: number, y: number): number | undefined } {
  const width = Math.max(40, canvas.parentElement?.clientWidth ?? 300);
  const frames = Math.max(1, partition.frames);
  const fitting = CELL_SIZES.find((size) => {
    const columns = Math.floor(width / size);
    return Math.ceil(frames / columns) * size <= GRID_MAX_HEIGHT;
  });
  const cell = fitting ?? 2;
  const perCell =
    fitting === undefined
      ? Math.ceil(frames / (Math.floor(width / cell) * Math.floor(GRID_MAX_HEIGHT / cell)))
      : 1;
  const columns = Math.floor(width / cell);
  const cells = Math.ceil(frames / perCell);
  const rows = Math.ceil(cells / columns);
  const ratio = window.devicePixelRatio || 1;
  canvas.style.width = `${columns * cell}px`;
  canvas.style.height = `${rows * cell}px`;
  canvas.width = Math.round(columns * cell * ratio);
  canvas.height = Math.round(rows * cell * ratio);
  const g = canvas.getContext('2d');
  const grid = {
    perCell,
    frameAt(x: number, y: number) {
      const index = Math.floor(y / cell) * columns + Math.floor(x / cell);
      return index < cells ? index * perCell : undefined;
    },
  };
  if (!g) return grid;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);

  // Per cell, how many of its frames are in each state.
  const tally = new Map<FrameState, Uint32Array>(STATES.map((s) => [s, new Uint32Array(cells)]));
  let start = 0;
  for (const [s, n] of partition.states) {
    const counts = tally.get(s)!;
    for (let frame = start; frame < start + n;) {
      const c = Math.floor(frame / perCell);
      const upTo = Math.min(start + n, (c + 1) * perCell);
      counts[c]! += upTo - frame;
      frame = upTo;
    }
    start += n;
  }
  const gap = cell >= 4 ? 1 : 0;
  for (let c = 0; c < cells; c++) {
    let best: FrameState = 'free';
    let most = 0;
    for (const s of STATES) {
      const n = tally.get(s)![c]!;
      if (s !== 'free' && n > most) [best, most] = [s, n];
    }
    g.fillStyle = STATE_COLOURS[best];
    g.fillRect((c % columns) * cell, Math.floor(c / columns) * cell, cell - gap, cell - gap);
  }
  return grid;
}

function spaceView(
  space: Space,
  pageSize: number,
  openAddress: (space: number, va: number) => void,
): HTMLElement {
  const bar = el('div', { className: 'runs' });
  for (const run of space.runs) {
    const end = run.va + run.pages * pageSize - 1;
    const segment = el(
      'button',
      {
        type: 'button',
        className: `run ${run.state}`,
        title: `${hex(run.va)}–${hex(end)} · ${count(run.pages)} page${run.pages === 1 ? '' : 's'} · ${STATE_LABELS[run.state]}${run.flags ? ` · ${run.flags}` : ''}\nclick: show it in memory`,
      },
      hex(run.va),
    );
    segment.style.background = STATE_COLOURS[run.state];
    segment.style.flexGrow = String(run.pages);
    segment.addEventListener('click', () => openAddress(space.id, run.va));
    bar.append(segment);
  }
  if (space.runs.length === 0) bar.append(el('span', { className: 'quiet' }, 'nothing mapped'));
  const pages = space.runs.reduce((sum, r) => sum + r.pages, 0);
  return el(
    'div',
    {
      className: 'space',
      testid: `space-${space.id}`,
      dataset: { runs: space.runs.map((r) => `${hex(r.va)}+${r.pages}:${r.state}`).join(',') },
    },
    el(
      'div',
      { className: 'space-head' },
      el('strong', {}, `space ${space.id}`),
      ` · ${space.kind} · ${space.partition}`,
      space.vm !== undefined ? ` · vm ${space.vm}` : '',
      ` · ${count(pages)} pages mapped`,
    ),
    bar,
  );
}
