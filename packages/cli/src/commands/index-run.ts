import { indexRun } from '@chronovisor/timetravel';
import { statSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { openRun, snapshotKey } from '../run-plugins';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * `chronovisor index <run.db>`: folds the run once and keeps snapshots of its state in the file,
 * so `debug` (and any Timeline given them) seeks from the nearest one instead of from the start.
 */
export function index(
  file: string,
  options: { every?: number; json?: boolean },
  out: Output = output,
): number {
  if (options.every !== undefined && options.every < 1)
    throw new CliError(`--every must be at least 1 record, not ${options.every}`);
  const { store, manifest, plugins } = openRun(file, { writable: true });
  try {
    const summary = indexRun(store, store.snapshots, plugins, {
      key: snapshotKey(manifest),
      seed: manifest.seed,
      ...(options.every === undefined ? {} : { every: options.every }),
    });
    store.close();
    const fileBytes = statSync(file).size;
    if (options.json) out.json({ ...summary, fileBytes });
    else
      out.line(
        `Kept ${summary.snapshots} snapshots in ${file}, one every ${summary.every.toLocaleString('en-US')} records: ${mib(summary.bytes)} beside the log (the file is now ${mib(fileBytes)}).`,
      );
    return EXIT.ok;
  } finally {
    store.close();
  }
}
