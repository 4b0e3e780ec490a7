import { SqliteStore, exportNdjson, importNdjson } from '@chronovisor/store';
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

/** `chronovisor import <run.ndjson> --out <run.db>`: an NDJSON run into a new run file. */
export function importRun(
  file: string,
  options: { out?: string; json?: boolean; quiet?: boolean; force?: boolean },
  out: Output = output,
): number {
  if (!options.out) throw new CliError('import needs --out <run.db>');
  checkInputFile(file, 'NDJSON run');
  const target = new OutputFile(options.out, { force: options.force ?? false, inputs: [file] });
  const bar = progressBar('importing', options);
  let store: SqliteStore | undefined;
  let records: number;
  let notes: string[];
  try {
    ({ records, notes } = importNdjson(
      file,
      (header) => (store = SqliteStore.create(target.partial, header)),
      { onProgress: (done, total) => bar.update(done, total) },
    ));
  } catch (error) {
    store?.close();
    target.abandon(); // a refused or broken import leaves no run behind, nor harms an old one
    throw error;
  } finally {
    bar.finish();
  }
  store?.close();
  target.commit();
  if (options.json) out.json({ records, file: options.out, notes });
  else {
    out.success(`${records} records imported into ${options.out}`);
    for (const note of notes) out.line(`note: ${note}`);
  }
  return EXIT.ok;
}
