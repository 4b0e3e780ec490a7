import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The sweep tests' scenario: a few pages written; seed 2 hangs once (see the fixture). */
export const sweepScenario = path.join(__dirname, '..', 'test-fixtures', 'sweep-scenario.js');

/** The cells' report rows, as `--json` gives them. */
export interface ReportRow {
  cell: number;
  seed: number;
  status: string;
  records: number;
  run: string;
  attempt: number;
  worker: string;
}

/**
 * Writes `grid.json` (three seeds over the sweep scenario, by default) and its plugin set, the
 * MMU alone, in a test's folder; returns the grid's name.
 */
export function writeSweepGrid(
  file: (name: string) => string,
  axes: Record<string, unknown[]> = { seed: [1, 2, 3] },
): string {
  writeFileSync(file('set.json'), JSON.stringify({ plugins: ['@chronovisor/mmu'] }));
  writeFileSync(
    file('grid.json'),
    JSON.stringify({ scenario: sweepScenario, config: 'set.json', axes }),
  );
  return 'grid.json';
}
