import { indexRun, type IndexSummary } from '@chronovisor/timetravel';
import { statSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { progressBar, type ProgressBar } from '../progress-bar';
import { isPostgresUrl } from '@chronovisor/store-postgres';
import { openPostgresRun, openRun, snapshotKey } from '../run-plugins';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** What keeping snapshots with a run did, and the run file's size after (a file's). */
export interface KeptSummary extends IndexSummary {
  readonly fileBytes?: number;
}

/**
 * Folds the run once and keeps snapshots of its state in the file, every `every` records (by
 * default the run cut in 128): what `chronovisor index` and `chronovisor run --index` do, showing
 * progress on `bar`.
 */
export function keepSnapshots(file: string, every?: number, bar?: ProgressBar): KeptSummary {
  checkEvery(every, '--every');
  // A server's run takes snapshots as it is open (they are outside its records, as bookmarks).
  const { store, manifest, plugins } = isPostgresUrl(file)
    ? openPostgresRun(file)
    : openRun(file, { writable: true });
  try {
    const summary = indexRun(store, store.snapshots, plugins, {
      key: snapshotKey(manifest),
      seed: manifest.seed,
      ...(every === undefined ? {} : { every }),
      ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
    });
    store.close();
    return isPostgresUrl(file) ? summary : { ...summary, fileBytes: statSync(file).size };
  } finally {
    bar?.finish();
    store.close();
  }
}

/** Refuses a spacing of snapshots under one record, naming the option that gave it. */
export function checkEvery(every: number | undefined, option: string): void {
  if (every !== undefined && every < 1)
    throw new CliError(`${option} must be at least 1 record, not ${every}`);
}

/** One line on what {@link keepSnapshots} kept. */
export const describeKept = (file: string, kept: KeptSummary): string =>
  `Kept ${kept.snapshots} snapshots ${kept.fileBytes === undefined ? 'with' : 'in'} ${file}, one every ${kept.every.toLocaleString('en-US')} records: ${mib(kept.bytes)} beside the log` +
  (kept.fileBytes === undefined ? '.' : ` (the file is now ${mib(kept.fileBytes)}).`);

/**
 * `chronovisor index <run.db>`: folds the run once and keeps snapshots of its state in the file,
 * so `debug` (and any Timeline given them) seeks from the nearest one instead of from the start.
 */
export function index(
  file: string,
  options: { every?: number; json?: boolean; quiet?: boolean },
  out: Output = output,
): number {
  const kept = keepSnapshots(file, options.every, progressBar('indexing', options));
  if (options.json) out.json(kept);
  else out.line(describeKept(file, kept));
  return EXIT.ok;
}
