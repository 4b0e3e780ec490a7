import type { StoredSweep } from '@chronovisor/store-postgres';
import { table } from '../output';
import type { CellResult } from './run-cell';

/** A sweep's cells side by side: one row a cell, its axis values, then what it came to. */
export interface SweepReport {
  readonly name: string;
  readonly cells: number;
  readonly done: number;
  readonly failed: number;
  /** Cells with no result yet (queued, or being run). */
  readonly waiting: number;
  /** The columns: `cell`, the axes, the counts, then each plugin's figures (`<summary>.<figure>`). */
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/** The counts every cell has, in the order the report shows them. */
const COUNTS = ['records', 'events/s', 'faults', 'violations', 'refused'] as const;

/** A sweep's report, from its cells and results. */
export function reportOf(sweep: StoredSweep): SweepReport {
  const axes = [...new Set(sweep.cells.flatMap((c) => Object.keys(c.params)))];
  const figures = new Set<string>();
  const rows = sweep.cells.map((c): Record<string, unknown> => {
    const result = c.result as CellResult | undefined;
    const row: Record<string, unknown> = { cell: c.cell, ...c.params };
    if (!result) return { ...row, status: 'waiting' };
    Object.assign(row, {
      status: result.status,
      records: result.records,
      'events/s': Math.round(result.eventsPerSecond),
      faults: result.faults,
      violations: result.violations,
      refused: result.refused,
    });
    for (const [plugin, own] of Object.entries(result.figures))
      for (const [name, value] of Object.entries(own)) {
        figures.add(`${plugin}.${name}`);
        row[`${plugin}.${name}`] = value;
      }
    return {
      ...row,
      run: result.run ?? null,
      // Beside the columns, for --json: who ran it, and on which attempt.
      worker: result.worker,
      attempt: result.attempt,
      ...(result.error ? { error: result.error } : {}),
    };
  });
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  return {
    name: sweep.name,
    cells: rows.length,
    done: count('done'),
    failed: count('failed'),
    waiting: count('waiting'),
    columns: ['cell', ...axes, 'status', ...COUNTS, ...[...figures].sort(), 'run'],
    rows,
  };
}

/** The report as a terminal table, with the failed cells' reasons under it. */
export function formatReport(report: SweepReport): string {
  const cell = (v: unknown): string =>
    v === undefined || v === null
      ? ''
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? v.toLocaleString('en-US')
          : v.toFixed(3)
        : typeof v === 'string'
          ? v
          : JSON.stringify(v);
  const lines = [
    table(
      report.columns,
      report.rows.map((r) => report.columns.map((c) => cell(r[c]))),
    ),
  ];
  for (const r of report.rows.filter((r) => r.status === 'failed'))
    lines.push(`cell ${cell(r.cell)} failed: ${cell(r.error)}\n`);
  lines.push(
    `${report.cells} cells: ${report.done} done, ${report.failed} failed, ${report.waiting} waiting\n`,
  );
  return lines.join('');
}
