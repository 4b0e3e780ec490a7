/**
 * Contribution points for the tools (the debugger, `inspect`, `stats`, the run summary, and later
 * the web page): each a token and an interface of the same name. A plugin binds its own through
 * `definePlugin({ tools })`; the tools never name a plugin's types or queries themselves.
 */

/** Token of {@link InfoView}. */
export const InfoView = Symbol.for('@chronovisor/core:InfoView');

/** A view of a plugin's state: `info <name> [args]` in the debugger, `inspect --info <name>`. */
export interface InfoView {
  /** Unique in the plugin set, e.g. `spaces`, `tlb`, `heap`. */
  readonly name: string;
  /** One line for the help, e.g. `tlb <space> — a space's TLB entries`. */
  readonly usage: string;
  /**
   * The view of the state now, as plain data (the JSON the tools print). Throws an error whose
   * message says what is wrong when `args` do not fit the usage.
   */
  show(args: readonly string[]): unknown;
  /** Text for a terminal; default: the data as indented JSON. */
  format?(view: unknown): string;
}

/** Token of {@link SummaryLines}. */
export const SummaryLines = Symbol.for('@chronovisor/core:SummaryLines');

/** What a run came to, as a plugin sees it: lines under the run's summary, from the state at its end. */
export interface SummaryLines {
  /** Heads the lines, e.g. `heap`. */
  readonly name: string;
  /** Plain data, for `--json`. */
  summary(): Readonly<Record<string, unknown>>;
  /** One line each, for a terminal. */
  lines(): readonly string[];
  /**
   * The few numbers a sweep's report sets side by side across its cells, by name (e.g.
   * `utilization`, `boot ms`): each one number for the whole run, comparable from cell to cell.
   */
  figures?(): Readonly<Record<string, number>>;
}

/** Token of {@link Panel}. */
export const Panel = Symbol.for('@chronovisor/core:Panel');

/**
 * A plugin's panel on the web page (`chronovisor ui`): its state at the page's position, in one of
 * the shapes the page knows how to draw, so a plugin adds a panel without code in the page.
 */
export interface Panel {
  /** Unique in the plugin set, e.g. `heap`. */
  readonly name: string;
  /** Its heading, e.g. `Heap blocks`. */
  readonly title: string;
  /** The content at the state now. */
  show(): PanelContent;
}

/**
 * What a panel shows: a table, a tree, facts (label: value), or sections of those. Values in a
 * column or a node with a `seq` become links the page follows to that record; `address` values
 * (`<space>:<hex va>`) open the hex view there.
 */
export type PanelContent =
  | {
      readonly kind: 'table';
      readonly columns: readonly PanelColumn[];
      readonly rows: readonly Readonly<Record<string, PanelValue>>[];
      /** Says what an empty table means, e.g. `no blocks`. */
      readonly empty?: string;
      /** Rows left out (the page shows the first ones). */
      readonly more?: number;
    }
  | { readonly kind: 'tree'; readonly nodes: readonly PanelNode[] }
  | {
      readonly kind: 'facts';
      readonly facts: readonly { readonly label: string; readonly value: PanelValue }[];
    }
  | {
      readonly kind: 'sections';
      readonly sections: readonly { readonly title: string; readonly content: PanelContent }[];
    };

/** A table column: `format` says how its values show (`seq` and `address` are links). */
export interface PanelColumn {
  readonly key: string;
  readonly label: string;
  readonly format?: 'text' | 'number' | 'hex' | 'seq' | 'address';
}

export type PanelValue = string | number | boolean | null;

/** A tree node; `seq` links it to a record. */
export interface PanelNode {
  readonly label: string;
  readonly detail?: string;
  readonly seq?: number;
  readonly children?: readonly PanelNode[];
}

/** The most rows a panel's table shows: the page draws them all at each move. */
export const PANEL_ROWS = 200;

/**
 * A panel's table of `items`, one row each by `row`, capped at {@link PANEL_ROWS} with the rest
 * counted in `more`. `total` is the count when `items` holds only the first of them.
 */
export function panelTable<T>(
  columns: readonly PanelColumn[],
  items: readonly T[],
  row: (item: T) => Readonly<Record<string, PanelValue>>,
  options: { readonly empty?: string; readonly total?: number } = {},
): PanelContent {
  const shown = items.length > PANEL_ROWS ? items.slice(0, PANEL_ROWS) : items;
  const total = options.total ?? items.length;
  return {
    kind: 'table',
    columns,
    rows: shown.map(row),
    ...(options.empty === undefined ? {} : { empty: options.empty }),
    ...(total > shown.length ? { more: total - shown.length } : {}),
  };
}

/** An `address` value of a panel: `<space>:0x<va>`, which the page opens in its hex view. */
export function panelAddress(space: number, va: number): string {
  return `${space}:0x${va.toString(16)}`;
}

/** Token of {@link MemoryMap}. */
export const MemoryMap = Symbol.for('@chronovisor/core:MemoryMap');

/** How a host frame, or a space's page, stands: free, one owner, shared, copy-on-write, not loaded yet. */
export type FrameState = 'free' | 'private' | 'shared' | 'cow' | 'lazy';

/** Physical memory and the address spaces on it, for the web page's memory map: the MMU contributes it. */
export interface MemoryMap {
  layout(): MemoryLayout;
}

/** See {@link MemoryMap}. States come in runs of `[state, count]`, in order. */
export interface MemoryLayout {
  readonly pageSize: number;
  readonly partitions: readonly {
    readonly name: string;
    /** First host frame. */
    readonly base: number;
    readonly frames: number;
    readonly states: readonly (readonly [FrameState, number])[];
  }[];
  readonly spaces: readonly {
    readonly id: number;
    readonly kind: string;
    readonly partition: string;
    readonly vm?: number;
    readonly runs: readonly {
      readonly va: number;
      readonly pages: number;
      readonly state: FrameState;
      readonly flags: string;
    }[];
  }[];
}

/** Token of {@link MemoryReader}. */
export const MemoryReader = Symbol.for('@chronovisor/core:MemoryReader');

/** Reads simulated memory for the tools (`x/16xb 1:0x1000`): the MMU contributes it. */
export interface MemoryReader {
  /** The bytes, or undefined where any of them is not mapped. */
  read(space: number, va: number, length: number): Uint8Array | undefined;
  /** The host physical address behind `va` (through stage 2 for a guest), or undefined where no frame backs it. */
  physicalAddress(space: number, va: number): number | undefined;
  /** Bytes in a frame: physical address = frame × page size + offset. */
  readonly pageSize: number;
}

/** A range of memory an event reads or writes, as provenance and watchpoints see it. */
export interface MemoryAccess {
  readonly kind: 'read' | 'write';
  readonly space: number;
  readonly va: number;
  readonly length: number;
  /**
   * The host physical address of the first byte (the range is physically contiguous), where the
   * access went through translation: provenance and watchpoints follow the bytes behind an
   * address by it, whichever space reaches them. An access without one is followed in its own
   * space only.
   */
  readonly pa?: number;
}

/**
 * What an event does to whole host frames, as provenance follows bytes through physical memory:
 * a `copy` gave frame `to` the bytes of frame `from` (a copy-on-write fault in `space` at `va`);
 * a `fill` put a page's bytes into `frame` (a lazy load); a `free` dropped the bytes of `frames`
 * (each reads as zero for its next owner).
 */
export type FrameEffect =
  | {
      readonly kind: 'copy';
      readonly from: number;
      readonly to: number;
      readonly space: number;
      readonly va: number;
    }
  | { readonly kind: 'fill'; readonly frame: number; readonly space: number; readonly va: number }
  | { readonly kind: 'free'; readonly frames: readonly number[] };

/** What an event means to the tools beyond its payload: a fault, a violation, or nothing special. */
export type EventMark = 'fault' | 'violation';
