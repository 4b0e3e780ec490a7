/**
 * The server's API (../../src/api.ts), as typed calls. Every request carries the token the page
 * was opened with: the server's cookie does too, but a header keeps the page working where the
 * cookie is refused.
 */
import type {
  ApiError,
  ContinueResult,
  LastWrite,
  MemoryMapView,
  MemoryView,
  Overview,
  PanelsView,
  Position,
  Provenance,
  RecordWindow,
  RunInfo,
} from '../../src/api';

const token = new URLSearchParams(location.search).get('token') ?? '';

/** An answer with status ≥ 400: its `{ error }` says what went wrong. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/** Whether an error is only a request given up on (a newer seek replaced it): not worth showing. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

type QueryValue = string | number | boolean | undefined | readonly string[];

async function get<T>(
  path: string,
  query: Readonly<Record<string, QueryValue>>,
  signal?: AbortSignal,
): Promise<T> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'object') for (const each of value) params.append(name, each);
    else params.set(name, value === true ? '1' : String(value));
  }
  const response = await fetch(`/api/${path}?${params.toString()}`, {
    headers: { 'X-Chronovisor-Token': token, Accept: 'application/json' },
    credentials: 'same-origin',
    signal,
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as Partial<ApiError>;
      if (typeof body.error === 'string') message = body.error;
    } catch {
      // Not JSON (a proxy's page, a dropped connection): the status says enough.
    }
    throw new ApiFailure(response.status, `/api/${path}: ${message}`);
  }
  return (await response.json()) as T;
}

/** What `/api/records` filters by; none of them: every record in a window. */
export interface RecordFilter {
  readonly type?: string;
  readonly actor?: string;
  readonly marks?: boolean;
}

export type Direction = 'forward' | 'backward';

export const api = {
  run: (signal?: AbortSignal) => get<RunInfo>('run', {}, signal),
  overview: (buckets: number, signal?: AbortSignal) =>
    get<Overview>('overview', { buckets }, signal),
  records: (from: number, count: number, filter: RecordFilter = {}, signal?: AbortSignal) =>
    get<RecordWindow>(
      'records',
      { from, count, type: filter.type, actor: filter.actor, mark: filter.marks },
      signal,
    ),
  seek: (seq: number, signal?: AbortSignal) => get<Position>('seek', { seq }, signal),
  memoryMap: (seq: number, signal?: AbortSignal) =>
    get<MemoryMapView>('memory-map', { seq }, signal),
  memory: (seq: number, space: number, va: number, length: number, signal?: AbortSignal) =>
    get<MemoryView>('memory', { seq, space, va, length }, signal),
  lastWrite: (seq: number, space: number, va: number, signal?: AbortSignal) =>
    get<LastWrite>('last-write', { seq, space, va }, signal),
  why: (seq: number, space: number, va: number, signal?: AbortSignal) =>
    get<Provenance>('why', { seq, space, va }, signal),
  continueFrom: (
    seq: number,
    direction: Direction,
    stops: readonly string[],
    signal?: AbortSignal,
  ) => get<ContinueResult>('continue', { seq, direction, stop: stops }, signal),
  panels: (seq: number, signal?: AbortSignal) => get<PanelsView>('panels', { seq }, signal),
};
