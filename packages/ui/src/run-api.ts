import {
  ChronovisorError,
  MemoryMap,
  MemoryReader,
  Panel,
  type LogRecord,
  type MemoryLayout,
  type Plugin,
} from '@chronovisor/core';
import { describeOrigin, type Timeline } from '@chronovisor/timetravel';
import type {
  Bookmark,
  ContinueResult,
  LastWrite,
  MemoryMapView,
  MemoryView,
  Overview,
  PanelsView,
  Position,
  Provenance,
  RecordView,
  RecordWindow,
  RunInfo,
} from './api';
import { SCAN_LIMIT } from './api';
import { ApiInputError, Params } from './api-input';
import { OverviewScan, type Outline } from './overview-scan';
import { RecordViews } from './record-views';
import { parseStop } from './stops';

/** The most records a window holds, and bytes a memory read. */
const WINDOW = 1000;
const MEMORY = 4096;
/** Records read at a time when a filtered window scans backwards. */
const BACKWARD_STEP = 4096;

/** The run the page looks at: what the API needs of it besides its timeline. */
export interface RunSource {
  readonly file: string;
  /** Records `from` to `to` in order. */
  read(from: number, to: number): Iterable<LogRecord>;
  /** The types of records `from` on, a batch at a time (see `OverviewScan`). */
  outline(from: number): Outline;
  types(): readonly string[];
  bookmarks(): readonly Bookmark[];
}

/** What a run source reads of a store: a run file's (`SqliteStore`) or a server's (`PostgresStore`). */
export interface StoredRunRecords {
  read(from: number, to: number): Iterable<LogRecord>;
  outline(from: number): Outline;
  recordTypes(): readonly string[];
  bookmarks(): readonly Bookmark[];
}

/** The run source of a stored run a store has open; `file` names it to people. */
export function storedRunSource(file: string, store: StoredRunRecords): RunSource {
  return {
    file,
    read: (from, to) => store.read(from, to),
    outline: (from) => store.outline(from),
    types: () => store.recordTypes(),
    bookmarks: () => store.bookmarks(),
  };
}

const NO_MEMORY: MemoryLayout = { pageSize: 4096, partitions: [], spaces: [] };

/**
 * The page's API over one run (see ./api for what each answer means): each call names the
 * position it asks about, and the one timeline moves there. Bad parameters throw
 * {@link ApiInputError}.
 */
export class RunApi {
  private readonly views: RecordViews;
  readonly scan: OverviewScan;
  /** How far the timeline's first pass has come: a seek up to here starts from a snapshot. */
  private warmed = 0;

  constructor(
    private readonly run: RunSource,
    private readonly timeline: Timeline,
    plugins: readonly Plugin[],
  ) {
    this.views = new RecordViews(plugins, timeline);
    this.scan = new OverviewScan(timeline.head, run.outline(1), this.views);
  }

  /**
   * Moves the timeline's first pass on by about `records` (it takes its snapshots as it goes), so
   * that a seek far into a long run, which would otherwise fold every record before it, starts
   * near its target. Returns whether the pass has reached the end. The server runs it between
   * requests; a request meanwhile goes wherever it asks, and the pass resumes from its snapshots.
   */
  warmUp(records: number): boolean {
    const head = this.timeline.head;
    if (this.warmed < head) this.warmed = this.timeline.seek(Math.min(head, this.warmed + records));
    return this.warmed >= head;
  }

  info(): RunInfo {
    const memory = this.timeline.getAll<MemoryReader>(MemoryReader)[0];
    return {
      file: this.run.file,
      head: this.timeline.head,
      plugins: this.views.plugins,
      types: this.run.types(),
      bookmarks: this.run.bookmarks(),
      panels: this.timeline.getAll<Panel>(Panel).map(({ name, title }) => ({ name, title })),
      pageSize: memory?.pageSize ?? NO_MEMORY.pageSize,
    };
  }

  overview(p: Params): Overview {
    return this.scan.overview(p.int('buckets', { min: 1, max: 100_000 }, 1000));
  }

  records(p: Params): RecordWindow {
    const head = this.timeline.head;
    const from = p.int('from', { min: 1, max: Math.max(1, head) }, 1);
    const count = p.int('count', { min: 1, max: WINDOW }, 100);
    const backwards = p.flag('backwards');
    const test = this.filter(p);
    if (!test) {
      const [lo, hi] = backwards
        ? [Math.max(1, from - count + 1), from]
        : [from, Math.min(head, from + count - 1)];
      const records = head === 0 ? [] : [...this.run.read(lo, hi)].map((r) => this.views.view(r));
      const next = backwards ? lo - 1 : hi + 1;
      return { records, ...(next >= 1 && next <= head ? { next } : {}) };
    }
    return backwards ? this.filteredBackwards(from, count, test) : this.filtered(from, count, test);
  }

  seek(p: Params): Position {
    const seq = this.moveTo(p);
    const record = seq > 0 ? this.timeline.record(seq) : undefined;
    const causes: RecordView[] = [];
    for (let cause = record?.cause ?? 0; cause > 0 && causes.length < 64;) {
      const command = this.timeline.record(cause);
      if (!command) break;
      causes.unshift(this.views.view(command));
      cause = command.cause === cause ? 0 : command.cause;
    }
    return { seq, ...(record ? { record: this.views.view(record) } : {}), causes };
  }

  memoryMap(p: Params): MemoryMapView {
    const seq = this.moveTo(p);
    const map = this.timeline.getAll<MemoryMap>(MemoryMap)[0];
    return { seq, ...(map ? map.layout() : NO_MEMORY) };
  }

  memory(p: Params): MemoryView {
    const seq = this.moveTo(p);
    const space = p.int('space', { min: 1, max: 2 ** 31 });
    const va = p.int('va', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const length = p.int('length', { min: 1, max: MEMORY }, 256);
    const reader = this.timeline.getAll<MemoryReader>(MemoryReader)[0];
    const bytes: (number | null)[] = [];
    const pageSize = reader?.pageSize ?? NO_MEMORY.pageSize;
    // Page by page: a page that is not mapped reads as nulls, the others as their bytes.
    for (let at = va; at < va + length;) {
      const chunk = Math.min(va + length, (Math.floor(at / pageSize) + 1) * pageSize) - at;
      const read = readOrNone(reader, space, at, chunk);
      for (let i = 0; i < chunk; i++) bytes.push(read ? read[i]! : null);
      at += chunk;
    }
    return { seq, space, va, bytes };
  }

  lastWrite(p: Params): LastWrite {
    this.moveTo(p);
    const { space, va } = this.place(p);
    const write = this.timeline.lastWrite(space, va);
    if (!write) return {};
    const type = this.timeline.record(write.seq)?.type ?? '';
    return {
      write: { seq: write.seq, space: write.space, va: write.va, actor: write.actor, type },
    };
  }

  why(p: Params): Provenance {
    this.moveTo(p);
    const { space, va } = this.place(p);
    return {
      steps: this.timeline.why(space, va).map((origin) => ({
        seq: origin.write.seq,
        how: origin.how,
        space: origin.write.space,
        va: origin.write.va,
        command: origin.command,
        text: describeOrigin(origin),
      })),
    };
  }

  continue(p: Params): ContinueResult {
    this.moveTo(p);
    const forward = p.oneOf('direction', ['forward', 'backward'], 'forward') === 'forward';
    const stops = p.all('stop').map(parseStop);
    if (stops.length === 0)
      throw new ApiInputError('continue needs at least one stop (a breakpoint or a watchpoint)');
    const hit = forward ? this.timeline.continue(stops) : this.timeline.reverseContinue(stops);
    if (!hit && forward) this.timeline.seek(this.timeline.head);
    return {
      seq: this.timeline.seq,
      ...(hit ? { stopped: { record: this.views.view(hit.record), by: hit.by } } : {}),
    };
  }

  panels(p: Params): PanelsView {
    const seq = this.moveTo(p);
    return {
      seq,
      panels: this.timeline
        .getAll<Panel>(Panel)
        .map((panel) => ({ name: panel.name, title: panel.title, content: panel.show() })),
    };
  }

  private moveTo(p: Params): number {
    const seq = this.timeline.seek(p.int('seq', { min: 0, max: this.timeline.head }));
    // Folding forward took snapshots on the way: the first pass need not go there again.
    this.warmed = Math.max(this.warmed, seq);
    return seq;
  }

  private place(p: Params): { space: number; va: number } {
    return {
      space: p.int('space', { min: 1, max: 2 ** 31 }),
      va: p.int('va', { min: 0, max: Number.MAX_SAFE_INTEGER }),
    };
  }

  /** The test a filtered window applies, or undefined for none. */
  private filter(p: Params): ((record: LogRecord) => boolean) | undefined {
    const type = p.string('type');
    const actor = p.string('actor');
    const marked = p.flag('mark');
    if (type === undefined && actor === undefined && !marked) return undefined;
    return (record) =>
      (type === undefined ||
        (type.endsWith('.') ? record.type.startsWith(type) : record.type === type)) &&
      (actor === undefined || record.actor === actor) &&
      (!marked || (record.kind === 'event' && this.views.markOf(record.type) !== undefined));
  }

  private filtered(from: number, count: number, test: (r: LogRecord) => boolean): RecordWindow {
    const head = this.timeline.head;
    const last = Math.min(head, from + SCAN_LIMIT - 1);
    const records: RecordView[] = [];
    let next = last + 1;
    for (const record of this.run.read(from, last)) {
      if (!test(record)) continue;
      records.push(this.views.view(record));
      if (records.length === count) {
        next = record.seq + 1;
        break;
      }
    }
    return { records, ...(next <= head ? { next } : {}) };
  }

  private filteredBackwards(
    from: number,
    count: number,
    test: (r: LogRecord) => boolean,
  ): RecordWindow {
    const floor = Math.max(1, from - SCAN_LIMIT + 1);
    const found: RecordView[] = [];
    let next = floor - 1;
    for (let hi = from; hi >= floor && found.length < count; hi -= BACKWARD_STEP) {
      const window = [...this.run.read(Math.max(floor, hi - BACKWARD_STEP + 1), hi)];
      for (let i = window.length - 1; i >= 0; i--) {
        if (!test(window[i]!)) continue;
        found.push(this.views.view(window[i]!));
        if (found.length === count) {
          next = window[i]!.seq - 1;
          break;
        }
      }
    }
    return { records: found.reverse(), ...(next >= 1 ? { next } : {}) };
  }
}

/** Bytes of a space, or undefined where they are not mapped, or the space does not exist (yet). */
function readOrNone(
  reader: MemoryReader | undefined,
  space: number,
  va: number,
  length: number,
): Uint8Array | undefined {
  try {
    return reader?.read(space, va, length);
  } catch (error) {
    // Scrubbing back before a space was made is no error: its bytes are simply not there.
    if (error instanceof ChronovisorError) return undefined;
    throw error;
  }
}
