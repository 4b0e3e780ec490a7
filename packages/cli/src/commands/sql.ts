import { queryRun } from '@chronovisor/store';
import { EXIT } from '../cli-error';
import { output, table, type Output } from '../output';

/**
 * `chronovisor sql <run.db> "<query>"`: one SQL query on the run file, read-only. The stock
 * `sqlite3` shell sees the file's tables and its `records` view, but not the records' payloads
 * (deflated a batch to a row, in the run's own encoding); here the view `records_json` adds them
 * as JSON, so addresses can be queried: `json_extract(payload, '$.va')`.
 */
export function sql(
  file: string,
  query: string,
  options: { json?: boolean; verify?: boolean },
  out: Output = output,
): number {
  const { columns, rows } = queryRun(file, query, { verify: options.verify ?? true });
  if (options.json)
    out.json(rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]]))));
  else if (rows.length === 0) out.line(`${table(columns, [])}(no rows)`);
  else
    out.line(
      table(
        columns,
        rows.map((row) => row.map(cell)),
      ).trimEnd(),
    );
  return EXIT.ok;
}

/** A value as the `sqlite3` shell would show it, but a blob as its size (a batch is kilobytes). */
function cell(value: unknown): string {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return typeof value === 'string' ? value : JSON.stringify(value);
}
