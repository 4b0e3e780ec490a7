import type { Overview } from '../../src/api';
import { api } from './api-client';
import { BOOKMARK_COLOUR, MARK_COLOURS } from './colours';
import { el } from './dom';
import { count } from './format';
import type { ErrorLine } from './error-line';
import type { PageState } from './page-state';

const HEIGHT = 84;
const MARK_BAND = 12;
const FLAG_BAND = 14;
const BARS_TOP = MARK_BAND + 3;
const BARS_BOTTOM = HEIGHT - FLAG_BAND - 2;
const POLL_MS = 500;

/**
 * The whole run at a glance (/api/overview): per bucket of records, a bar stacked by plugin;
 * violations and faults as ticks above, bookmarks as flags below, the position as a cursor.
 * Click or drag to move (the seek waits for the pointer to let go; the cursor follows live).
 */
export function mountTimeline(
  root: HTMLElement,
  state: PageState,
  colourOf: (plugin: string) => string,
  errors: ErrorLine,
): void {
  const { run } = state;
  const canvas = el('canvas', {
    testid: 'timeline',
    role: 'slider',
    'aria-label': 'Timeline: click or drag to move',
    'aria-valuemin': '0',
    'aria-valuemax': String(run.head),
  });
  canvas.style.height = `${HEIGHT}px`;
  const status = el('span', { testid: 'overview-status', className: 'overview-status' });
  const hover = el('span', { className: 'timeline-hover' });
  const legend = el(
    'ul',
    { className: 'legend' },
    ...run.plugins.map((p) => swatch(p.colour, p.name)),
    swatch(MARK_COLOURS.violation, 'violation', 'tick'),
    swatch(MARK_COLOURS.fault, 'fault', 'tick'),
    swatch(BOOKMARK_COLOUR, 'bookmark', 'flag'),
  );
  root.replaceChildren(canvas, el('div', { className: 'timeline-foot' }, legend, hover, status));

  let overview: Overview | undefined;
  /** Where a drag has the cursor, before it lets go. */
  let dragSeq: number | undefined;

  const width = () => Math.max(1, Math.floor(canvas.clientWidth));
  const xOf = (seq: number) => (run.head === 0 ? 0 : (seq / run.head) * width());
  const seqAt = (x: number) =>
    Math.max(0, Math.min(run.head, Math.round((x / width()) * run.head)));

  function draw(): void {
    const w = width();
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
    if (canvas.height !== Math.round(HEIGHT * ratio)) canvas.height = Math.round(HEIGHT * ratio);
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, HEIGHT);
    g.fillStyle = '#f3f4f7';
    g.fillRect(0, BARS_TOP, w, BARS_BOTTOM - BARS_TOP);
    if (overview) drawOverview(g, overview);
    drawBookmarks(g);
    drawCursor(g, dragSeq ?? state.seq);
  }

  function drawOverview(g: CanvasRenderingContext2D, o: Overview): void {
    // Plugins in the run's order, then any the overview names that the run info did not.
    const plugins = [
      ...run.plugins.map((p) => p.name).filter((name) => name in o.counts),
      ...Object.keys(o.counts).filter((name) => !run.plugins.some((p) => p.name === name)),
    ];
    const buckets = Math.max(0, ...plugins.map((name) => o.counts[name]?.length ?? 0));
    const totals = Array.from({ length: buckets }, (_, i) =>
      plugins.reduce((sum, name) => sum + (o.counts[name]?.[i] ?? 0), 0),
    );
    const most = Math.max(1, ...totals);
    const barHeight = BARS_BOTTOM - BARS_TOP;
    for (let i = 0; i < buckets; i++) {
      // Whole pixels: fractional edges would blend neighbouring bars into stripes.
      const x0 = Math.round(xOf(i * o.bucketSize));
      const x1 = Math.round(xOf(Math.min((i + 1) * o.bucketSize, run.head)));
      let y = BARS_BOTTOM;
      for (const name of plugins) {
        const n = o.counts[name]?.[i] ?? 0;
        if (n === 0) continue;
        const h = Math.max(1, (n / most) * barHeight);
        g.fillStyle = colourOf(name);
        g.fillRect(x0, y - h, Math.max(1, x1 - x0), h);
        y -= h;
      }
    }
    // Violations in the upper lane, faults in the lower: faults are common, and would bury them.
    const lane = MARK_BAND / 2;
    for (const m of o.marks) {
      g.fillStyle = MARK_COLOURS[m.mark];
      g.fillRect(Math.round(xOf(m.seq)) - 1, m.mark === 'violation' ? 0 : lane, 2, lane);
    }
  }

  function drawBookmarks(g: CanvasRenderingContext2D): void {
    g.fillStyle = BOOKMARK_COLOUR;
    for (const b of run.bookmarks) {
      const x = Math.round(xOf(b.seq));
      g.fillRect(x, HEIGHT - FLAG_BAND, 1, FLAG_BAND);
      g.beginPath();
      g.moveTo(x + 1, HEIGHT - FLAG_BAND);
      g.lineTo(x + 8, HEIGHT - FLAG_BAND + 3.5);
      g.lineTo(x + 1, HEIGHT - FLAG_BAND + 7);
      g.fill();
    }
  }

  function drawCursor(g: CanvasRenderingContext2D, seq: number): void {
    const x = Math.min(width() - 1, Math.max(1, Math.round(xOf(seq))));
    g.fillStyle = '#111827';
    g.fillRect(x - 1, 0, 2, HEIGHT);
    g.beginPath();
    g.moveTo(x - 5, 0);
    g.lineTo(x + 5, 0);
    g.lineTo(x, 6);
    g.fill();
  }

  /** What is under the pointer: a seq, and the nearest mark or bookmark within a few pixels. */
  function describe(x: number): string {
    const seq = seqAt(x);
    const near = (at: number) => Math.abs(xOf(at) - x) <= 3;
    const bookmark = run.bookmarks.find((b) => near(b.seq));
    const mark = overview?.marks.find((m) => near(m.seq));
    return [
      `seq ${seq}`,
      bookmark && `bookmark ${bookmark.name} (seq ${bookmark.seq})`,
      mark && `${mark.mark} ${mark.type} (seq ${mark.seq})`,
    ]
      .filter(Boolean)
      .join(' · ');
  }

  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    canvas.setPointerCapture(event.pointerId);
    dragSeq = seqAt(event.offsetX);
    draw();
  });
  canvas.addEventListener('pointermove', (event) => {
    hover.textContent = describe(event.offsetX);
    if (dragSeq === undefined) return;
    dragSeq = seqAt(event.offsetX);
    draw();
  });
  canvas.addEventListener('pointerleave', () => {
    hover.textContent = '';
  });
  canvas.addEventListener('pointerup', (event) => {
    if (dragSeq === undefined) return;
    const to = seqAt(event.offsetX);
    dragSeq = undefined;
    state.seek(to);
  });
  canvas.addEventListener('pointercancel', () => {
    dragSeq = undefined;
    draw();
  });

  /** Bumped to stop an older polling loop when a resize starts a new one. */
  let loads = 0;
  async function loadOverview(): Promise<void> {
    const load = ++loads;
    for (;;) {
      const o = await api.overview(width());
      if (load !== loads) return;
      overview = o;
      status.textContent =
        o.error !== undefined
          ? `scanned to seq ${count(o.scanned)} only`
          : o.ready
            ? 'ready'
            : `scanning ${Math.floor((100 * o.scanned) / Math.max(1, o.head))}%`;
      // An altered run: the timeline covers what could be read, and the error line says why.
      if (o.error !== undefined) errors.show(new Error(o.error));
      status.dataset.ready = String(o.ready);
      status.title =
        o.markCount > o.marks.length
          ? `the first ${count(o.marks.length)} of ${count(o.markCount)} faults and violations shown`
          : `${count(o.markCount)} faults and violations`;
      draw();
      if (o.ready) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (load !== loads) return;
    }
  }
  const reload = () => loadOverview().catch((error: unknown) => errors.show(error));

  // The overview has one bucket per pixel: a new width asks for it again (once resizing settles).
  let requestedWidth = 0;
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  new ResizeObserver(() => {
    draw();
    if (width() === requestedWidth) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      requestedWidth = width();
      void reload();
    }, 200);
  }).observe(canvas);

  requestedWidth = width();
  void reload();
  state.onSeek((seq) => {
    canvas.setAttribute('aria-valuenow', String(seq));
    draw();
  });
}

function swatch(
  colour: string,
  label: string,
  shape: 'box' | 'tick' | 'flag' = 'box',
): HTMLLIElement {
  const mark = el('span', { className: `swatch ${shape}` });
  mark.style.background = colour;
  return el('li', {}, mark, label);
}
