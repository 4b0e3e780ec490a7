/*
 * The page's API: what `chronovisor ui` answers under /api/, as JSON. Types only, so that the
 * page (web/) and the server share them. Every request carries the token the server printed
 * (the `token` query parameter, the `X-Chronovisor-Token` header, or the cookie the page's
 * first load sets). A position is a seq: the state right after that record (0: before the
 * first). The server is stateless between requests: each names the seq it asks about.
 */
import type { MemoryLayout, PanelContent } from '@chronovisor/core';

export type {
  FrameState,
  MemoryLayout,
  PanelColumn,
  PanelContent,
  PanelNode,
  PanelValue,
} from '@chronovisor/core';

/** A record as the page shows it. */
export interface RecordView {
  readonly seq: number;
  readonly kind: 'command' | 'event';
  readonly type: string;
  readonly actor: string;
  readonly tick: number;
  /** The command this record happened for (0: none). */
  readonly cause: number;
  /** The plugin whose type this is (`mmu`, `heap`…; `core` for the kernel's own). */
  readonly plugin: string;
  /** A fault or violation, as the event's declaration marks it. */
  readonly mark?: 'fault' | 'violation';
  /** The payload (an event's data, a command's arguments) in one line: addresses in hex. */
  readonly text: string;
  /** The payload as data. */
  readonly payload: unknown;
  /** A refused command's error. */
  readonly rejection?: { readonly error: string; readonly message: string };
}

/** `GET /api/run`: what the run is. */
export interface RunInfo {
  readonly file: string;
  /** The last record's seq. */
  readonly head: number;
  /** The plugins the run is read with, in order, each with the colour the page draws it in. */
  readonly plugins: readonly { readonly name: string; readonly colour: string }[];
  /** The record types the run holds. */
  readonly types: readonly string[];
  readonly bookmarks: readonly Bookmark[];
  /** The plugins' panels, in order (their content comes from `/api/panels`). */
  readonly panels: readonly { readonly name: string; readonly title: string }[];
  /** Bytes in a page. */
  readonly pageSize: number;
}

export interface Bookmark {
  readonly name: string;
  readonly seq: number;
  readonly note: string;
}

/**
 * `GET /api/overview?buckets=n`: the whole run at a glance. Computed by one pass over the run
 * when the server starts; until it is done, `ready` is false and `scanned` says how far it got
 * (ask again).
 */
export interface Overview {
  readonly head: number;
  readonly ready: boolean;
  /** Records scanned so far. */
  readonly scanned: number;
  /** Records a bucket covers: bucket i holds seqs [1 + i·size, (i+1)·size]. */
  readonly bucketSize: number;
  /** Per plugin, its records in each bucket. */
  readonly counts: Readonly<Record<string, readonly number[]>>;
  /** Faults and violations, in seq order (the first `MARKS_SHOWN` of them). */
  readonly marks: readonly {
    readonly seq: number;
    readonly mark: 'fault' | 'violation';
    readonly type: string;
  }[];
  /** Faults and violations in the run, when more than `marks` lists. */
  readonly markCount: number;
  /** Why the pass stopped before the end (a batch altered since it was recorded): it covers `scanned`. */
  readonly error?: string;
}

/** The most marks an overview lists. */
export const MARKS_SHOWN = 10_000;

/**
 * `GET /api/records?from=s&count=n[&type=t][&actor=a][&mark=1][&backwards=1]`: a window of
 * records, from seq `s` onwards (or backwards), at most `count` (≤ 1,000). With filters (`type`
 * a type or a prefix ending in `.`, `actor` exact, `mark` faults and violations only) it
 * scans at most `SCAN_LIMIT` records; `next` is where to go on from (absent at the run's end).
 */
export interface RecordWindow {
  readonly records: readonly RecordView[];
  readonly next?: number;
}

/** The most records one filtered `/api/records` request scans. */
export const SCAN_LIMIT = 200_000;

/** `GET /api/seek?seq=s`: the record at a position and the commands that caused it, outermost first. */
export interface Position {
  readonly seq: number;
  /** The record at seq (absent at 0). */
  readonly record?: RecordView;
  /** Its cause chain: the command it happened for, that command's cause, …, outermost first. */
  readonly causes: readonly RecordView[];
}

/** `GET /api/memory-map?seq=s`: physical memory and the address spaces on it, as the MMU lays it out. */
export interface MemoryMapView extends MemoryLayout {
  readonly seq: number;
}

/** `GET /api/memory?seq=s&space=n&va=a&length=l` (l ≤ 4,096): bytes at a position. */
export interface MemoryView {
  readonly seq: number;
  readonly space: number;
  readonly va: number;
  /** One entry per byte: its value, or null where the page is not mapped (or not loaded). */
  readonly bytes: readonly (number | null)[];
}

/** `GET /api/last-write?seq=s&space=n&va=a`: the write the byte's value comes from, if any. */
export interface LastWrite {
  readonly write?: {
    readonly seq: number;
    readonly space: number;
    readonly va: number;
    readonly actor: string;
    readonly type: string;
  };
}

/** `GET /api/why?seq=s&space=n&va=a`: where a byte came from, newest step first. */
export interface Provenance {
  readonly steps: readonly {
    /** The record that wrote, copied or loaded the bytes. */
    readonly seq: number;
    readonly how: 'write' | 'copy' | 'load';
    readonly space: number;
    readonly va: number;
    /** The command behind it. */
    readonly command: { readonly seq: number; readonly type: string; readonly actor: string };
    /** One line, as the debugger's `why` says it. */
    readonly text: string;
  }[];
}

/**
 * `GET /api/continue?seq=s&direction=forward|backward&stop=…&stop=…`: runs from a position to
 * the next record a stop matches. A stop is `break:<type or prefix.>` or
 * `watch:<write|read|access>:<space>:<va>:<length>` (va in hex with 0x, or decimal).
 * `stopped` is absent when the run's end (or start) came first.
 */
export interface ContinueResult {
  readonly seq: number;
  readonly stopped?: {
    readonly record: RecordView;
    /** Which stops matched, by their index in the request. */
    readonly by: readonly number[];
  };
}

/** `GET /api/panels?seq=s`: each plugin panel's content at a position. */
export interface PanelsView {
  readonly seq: number;
  readonly panels: readonly {
    readonly name: string;
    readonly title: string;
    readonly content: PanelContent;
  }[];
}

/** An error: `{ error }` with status 400 (bad request), 401/403 (token), 404 (no such path). */
export interface ApiError {
  readonly error: string;
}
