import {
  MemoryStore,
  Simulation,
  canonicalJson,
  isExternalCommand,
  type LogRecord,
  type Plugin,
  type Store,
} from '@chronovisor/core';
import { progressEvery, type Progress } from './progress';
import { summarizeRun, type RunSummary } from './run-summary';

/** The first place two runs differ: the records side by side (one may be absent). */
export interface Divergence {
  readonly seq: number;
  readonly recorded?: LogRecord;
  readonly reexecuted?: LogRecord;
}

/** What re-execution found. */
export interface ReexecutionReport {
  readonly identical: boolean;
  readonly divergence?: Divergence;
  readonly recorded: RunSummary;
  readonly reexecuted: RunSummary;
  readonly message: string;
}

/**
 * Feeds a run's commands from outside (not its reactors' commands, which the plugin set issues
 * again itself) to a fresh simulation of `plugins` (the same set, or another: another allocator,
 * another version) and compares the two logs record by record: the first divergence, side by
 * side, and how the runs differ overall.
 */
export function reexecute(
  recorded: Store,
  plugins: readonly Plugin[],
  options: { seed?: number; onProgress?: Progress; into?: Store } = {},
): ReexecutionReport {
  const into = options.into ?? new MemoryStore();
  const sim = new Simulation({ plugins, seed: options.seed ?? 0, store: into });
  const total = recorded.head();
  const tick = progressEvery(options.onProgress, total);
  let done = 0;
  for (const record of recorded.read(1)) {
    if (isExternalCommand(record)) sim.dispatch(record.type, record.args, { actor: record.actor });
    tick(++done);
  }
  sim.close();

  let divergence: Divergence | undefined;
  const a = recorded.read(1)[Symbol.iterator]();
  const b = into.read(1)[Symbol.iterator]();
  for (let seq = 1; ; seq++) {
    const x = a.next();
    const y = b.next();
    if (x.done && y.done) break;
    if (x.done || y.done || canonicalJson(x.value) !== canonicalJson(y.value)) {
      divergence = {
        seq,
        ...(x.done ? {} : { recorded: x.value }),
        ...(y.done ? {} : { reexecuted: y.value }),
      };
      break;
    }
  }
  const summaries = {
    recorded: summarizeRun(recorded, sim.eventTypes),
    reexecuted: summarizeRun(into, sim.eventTypes),
  };
  const message = divergence
    ? `The runs diverge at seq ${divergence.seq}: recorded ${describe(divergence.recorded)}, re-executed ${describe(divergence.reexecuted)}`
    : `Re-execution reproduced all ${summaries.recorded.records} records`;
  return { identical: !divergence, ...(divergence ? { divergence } : {}), ...summaries, message };
}

function describe(record: LogRecord | undefined): string {
  if (!record) return 'nothing (the log ends)';
  const payload = record.kind === 'event' ? record.data : record.args;
  const shown = JSON.stringify(payload, (_k, v: unknown) =>
    v instanceof Uint8Array ? `<${v.length} bytes>` : v,
  );
  // A refusal's reason is the divergence's cause, more often than not.
  const refused =
    record.kind === 'command' && record.rejection
      ? ` refused (${record.rejection.error}: ${record.rejection.message})`
      : '';
  return `${record.kind} ${record.type} ${shown}${refused}`;
}
