import { SqliteStore, exportNdjson, importNdjson } from '@chronovisor/store';
import { PostgresStore, checkPostgresUrl, runAddress } from '@chronovisor/store-postgres';
import * as path from 'node:path';
import { CliError, EXIT } from '../cli-error';
import { openStoredRecords } from '../run-plugins';
import { output, type Output } from '../output';
import { OutputFile, checkInputFile } from '../output-file';
import { progressBar } from '../progress-bar';

/** `chronovisor export <run.db | postgres://…#id> --ndjson <file>`: the run as NDJSON, for interchange. */
export function exportRun(
  file: string,
  options: { ndjson?: string; json?: boolean; quiet?: boolean; verify?: boolean; force?: boolean },
  out: Output = output,
): number {
  if (!options.ndjson) throw new CliError('export needs --ndjson <file>');
  const target = new OutputFile(options.ndjson, { force: options.force ?? false, inputs: [file] });
  const store = openStoredRecords(file, { verify: options.verify ?? true });
  const bar = progressBar('exporting', options);
  let records: number;
  try {
    records = exportNdjson(store, store.manifest(), target.partial, {
      onProgress: (done, total) => bar.update(done, total),
    });
  } catch (error) {
    target.abandon(); // half an export is worth nothing: the old file, if any, stays
    throw error;
  } finally {
    bar.finish();
    store.close();
  }
  target.commit();
  if (options.json) out.json({ records, file: options.ndjson });
  else out.success(`${records} records written to ${options.ndjson}`);
  return EXIT.ok;
}

/**
 * `chronovisor import <run.ndjson> --out <run.db>` (or `--store postgres://…`): an NDJSON run into a
 * new run file, or a new run on a PostgreSQL server. A refused or broken import leaves no run.
 */
export function importRun(
  file: string,
  options: { out?: string; store?: string; json?: boolean; quiet?: boolean; force?: boolean },
  out: Output = output,
): number {
  if (options.store !== undefined) {
    checkPostgresUrl(options.store);
    if (options.out !== undefined || options.force)
      throw new CliError(
        `--${options.out !== undefined ? 'out' : 'force'} is for run files: an import with --store makes a run on the server`,
      );
  } else if (!options.out)
    throw new CliError('import needs --out <run.db> (or --store postgres://…)');
  checkInputFile(file, 'NDJSON run');
  const url = options.store;
  const target =
    url === undefined
      ? new OutputFile(options.out!, { force: options.force ?? false, inputs: [file] })
      : undefined;
  const bar = progressBar('importing', options);
  let store: SqliteStore | PostgresStore | undefined;
  let records: number;
  let notes: string[];
  try {
    ({ records, notes } = importNdjson(
      file,
      (header) =>
        (store =
          url === undefined
            ? SqliteStore.create(target!.partial, header)
            : PostgresStore.create(url, {
                name: path.basename(file).replace(/\.ndjson$/, ''),
                ...header,
              })),
      { onProgress: (done, total) => bar.update(done, total) },
    ));
  } catch (error) {
    // A refused or broken import leaves no run behind, nor harms an old one.
    if (store instanceof PostgresStore) store.discard();
    else {
      store?.close();
      target?.abandon();
    }
    throw error;
  } finally {
    bar.finish();
  }
  const imported = store!;
  imported.close();
  target?.commit();
  const where = imported instanceof PostgresStore ? runAddress(url!, imported.run) : options.out!;
  if (options.json) out.json({ records, file: where, notes });
  else {
    out.success(`${records} records imported into ${where}`);
    for (const note of notes) out.line(`note: ${note}`);
  }
  return EXIT.ok;
}
