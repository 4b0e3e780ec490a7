import { SqliteStore, exportNdjson, importNdjson } from '@chronovisor/store';
import { existsSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error';
import { output, type Output } from '../output';

/** `chronovisor export <run.db> --ndjson <file>`: the run as NDJSON, for interchange. */
export function exportRun(
  file: string,
  options: { ndjson?: string; json?: boolean; verify?: boolean },
  out: Output = output,
): number {
  if (!options.ndjson) throw new CliError('export needs --ndjson <file>');
  const store = SqliteStore.open(file, { readonly: true, verify: options.verify ?? true });
  try {
    const records = exportNdjson(store, store.manifest(), options.ndjson);
    if (options.json) out.json({ records, file: options.ndjson });
    else out.success(`${records} records written to ${options.ndjson}`);
    return EXIT.ok;
  } finally {
    store.close();
  }
}

/** `chronovisor import <run.ndjson> --out <run.db>`: an NDJSON run into a new run file. */
export function importRun(
  file: string,
  options: { out?: string; json?: boolean },
  out: Output = output,
): number {
  if (!options.out) throw new CliError('import needs --out <run.db>');
  if (!existsSync(file)) throw new CliError(`${file} does not exist`);
  let store: SqliteStore | undefined;
  try {
    const result = importNdjson(
      file,
      (header) => (store = SqliteStore.create(options.out!, header)),
    );
    if (options.json) out.json({ records: result.records, file: options.out });
    else out.success(`${result.records} records imported into ${options.out}`);
    return EXIT.ok;
  } finally {
    store?.close();
  }
}
