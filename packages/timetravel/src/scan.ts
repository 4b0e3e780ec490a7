import type { LogRecord, Store } from '@chronovisor/core';

/** Records read per step when scanning backwards. */
const BACKWARD_WINDOW = 4096;

/** The last record at or before `from` that `test` accepts, scanning the log backwards in windows. */
export function scanBackward(
  store: Store,
  from: number,
  test: (record: LogRecord) => boolean,
): LogRecord | undefined {
  for (let hi = Math.min(from, store.head()); hi >= 1; hi -= BACKWARD_WINDOW) {
    const window = [...store.read(Math.max(1, hi - BACKWARD_WINDOW + 1), hi)];
    for (let i = window.length - 1; i >= 0; i--) if (test(window[i]!)) return window[i];
  }
  return undefined;
}

/** The record at `seq`, if the log has it. */
export function recordAt(store: Store, seq: number): LogRecord | undefined {
  if (seq < 1 || seq > store.head()) return undefined;
  for (const record of store.read(seq, seq)) return record;
  return undefined;
}
