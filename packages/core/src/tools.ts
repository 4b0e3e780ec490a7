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
