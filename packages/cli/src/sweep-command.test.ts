import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { binHarness, root, waitForFile, waitUntil } from './test-support/bin-harness';
import { sweepScenario, writeSweepGrid, type ReportRow } from './test-support/sweep-grid';

const { chronovisor, refusedWith, started, file } = binHarness();
const writeGrid = () => writeSweepGrid(file);
const scenario = sweepScenario;

describe('chronovisor sweep, on this machine', () => {
  jest.setTimeout(120_000);

  it('runs every cell in worker processes and sets them side by side', () => {
    const swept = chronovisor('sweep', writeGrid(), '--workers', '2', '--json');
    expect(swept.stderr).toBe('');
    expect(swept.status).toBe(0);
    const report = JSON.parse(swept.stdout) as {
      rows: ReportRow[];
      columns: string[];
      done: number;
    };
    expect(report.done).toBe(3);
    expect(report.columns).toEqual(
      expect.arrayContaining(['cell', 'seed', 'status', 'records', 'mmu.page faults', 'run']),
    );
    expect(report.rows.map((r) => [r.cell, r.seed, r.status])).toEqual([
      [0, 1, 'done'],
      [1, 2, 'done'],
      [2, 3, 'done'],
    ]);
    // Each cell's run is a run file of its own, whole: it verifies and replays.
    for (const row of report.rows) {
      expect(row.run).toBe(path.join('.chronovisor', 'sweeps', 'grid', `cell-${row.cell}.db`));
      expect(chronovisor('verify', row.run).status).toBe(0);
      expect(chronovisor('replay', row.run).status).toBe(0);
    }
    // More seeds, more records: the cells ran what their values say.
    expect(report.rows[2]!.records).toBeGreaterThan(report.rows[0]!.records);
    // The same report later, from the folder; a second sweep gets a folder of its own.
    const again = chronovisor('sweep', 'report', '.chronovisor/sweeps/grid', '--json');
    expect(JSON.parse(again.stdout)).toEqual(report);
    expect(chronovisor('sweep', 'grid.json', '--workers', '1').stdout).toContain(
      `3 cells in ${path.join('.chronovisor', 'sweeps', 'grid-2')}`,
    );
  });

  it("runs a killed worker's cell in another, keeping exactly one result a cell", async () => {
    const marker = file('hung');
    const sweep = started(['sweep', writeGrid(), '--workers', '1', '--json'], {
      CHRONOVISOR_TEST_HANG: marker,
    });
    process.kill(Number(await waitForFile(marker)), 'SIGKILL');
    const { status, stdout, stderr } = await sweep.ended;
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const { rows } = JSON.parse(stdout) as { rows: ReportRow[] };
    expect(rows.map((r) => [r.seed, r.status, r.attempt])).toEqual([
      [1, 'done', 1],
      [2, 'done', 2],
      [3, 'done', 1],
    ]);
    // What the killed worker recorded is kept, under the partial name, beside the cell's run.
    const folder = file(path.join('.chronovisor', 'sweeps', 'grid'));
    expect(
      readdirSync(folder)
        .filter((f) => f.endsWith('.db'))
        .sort(),
    ).toEqual(['cell-0.db', 'cell-1.db', 'cell-1.partial.db', 'cell-2.db', 'sweep.db']);
    expect(chronovisor('verify', rows[1]!.run).status).toBe(0);
  });

  it('stops when the sweep alone is told to: its workers finish their cells and take no more', async () => {
    // `kill` or a supervisor reaches the sweep's process only, not its workers (Ctrl-C in a
    // terminal reaches the whole process group): the sweep passes the stop on.
    writeSweepGrid(file, { seed: Array.from({ length: 60 }, (_, i) => i + 1) });
    const sweep = started(['sweep', 'grid.json', '--workers', '1']);
    await waitUntil(() => sweep.output().includes('cell 2 of grid done'), 'cell 2');
    sweep.child.kill('SIGTERM');
    const { status, stdout } = await sweep.ended;
    expect(stdout).toContain('Stopping: each worker finishes the cell it runs');
    expect(status).toBe(1);
    const done = stdout.match(/^cell \d+ of grid done/gm)!.length;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(60);
    expect(stdout).toContain(`${60 - done} cells not run`);
    // Every cell it ran is whole: none half-done, none lost.
    const report = chronovisor('sweep', 'report', '.chronovisor/sweeps/grid', '--json');
    const { rows } = JSON.parse(report.stdout) as { rows: ReportRow[] };
    expect(rows.filter((r) => r.status === 'done')).toHaveLength(done);
    expect(rows.filter((r) => r.status !== 'done').every((r) => r.status === 'waiting')).toBe(true);
  });

  it('kills its workers when told twice, and resumes the cells they did not finish', async () => {
    const marker = file('hung');
    const sweep = started(['sweep', writeGrid(), '--workers', '1'], {
      CHRONOVISOR_TEST_HANG: marker,
    });
    const worker = Number(await waitForFile(marker));
    // The worker is busy in a cell (hung): told to stop, it would finish that cell first.
    sweep.child.kill('SIGINT');
    await waitUntil(() => sweep.output().includes('Stopping:'), 'the first notice');
    expect(() => process.kill(worker, 0)).not.toThrow(); // still at its cell
    sweep.child.kill('SIGINT');
    const stopped = await sweep.ended;
    expect(stopped.stdout).toContain('Stopping now: the workers are killed');
    expect(() => process.kill(worker, 0)).toThrow(); // gone
    expect(stopped.status).toBe(1);
    expect(stopped.stdout).toMatch(
      /cells not run: (npx )?chronovisor sweep resume \.chronovisor\/sweeps\/grid/,
    );
    const resumed = chronovisor('sweep', 'resume', '.chronovisor/sweeps/grid', '--json');
    expect(resumed.status).toBe(0);
    const { rows } = JSON.parse(resumed.stdout) as { rows: ReportRow[] };
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });

  it('refuses a bad grid with one line, before making anything', () => {
    writeGrid();
    writeFileSync(
      file('bad.json'),
      JSON.stringify({ scenario, config: 'set.json', axes: { 'mmu.colour': ['blue'], seed: [1] } }),
    );
    expect(refusedWith('sweep', 'bad.json')).toMatch(
      /^error: Plugin "@chronovisor\/mmu" in Grid bad\.json, cell 0 \(mmu\.colour="blue", seed=1\) refused its options: .*colour/,
    );
    writeFileSync(file('empty.json'), JSON.stringify({ scenario, axes: { seed: [] } }));
    expect(refusedWith('sweep', 'empty.json')).toBe(
      'error: Grid empty.json is invalid: axes.seed: an axis needs at least one value',
    );
    expect(existsSync(file('.chronovisor'))).toBe(false);
    expect(refusedWith('sweep', 'grid.json', '--store', 'runs.db')).toContain(
      '--store takes a PostgreSQL server',
    );
    // The grid named as its own output, and a folder of the user's: neither is written into.
    const gridText = readFileSync(file('grid.json'), 'utf8');
    expect(refusedWith('sweep', 'grid.json', '--out', 'grid.json')).toBe(
      'error: grid.json is a file, not a folder: name a new folder for the sweep with --out',
    );
    expect(readFileSync(file('grid.json'), 'utf8')).toBe(gridText);
    expect(refusedWith('sweep', 'grid.json', '--out', '.')).toBe(
      'error: . already holds files; name a new folder for the sweep with --out',
    );
    expect(existsSync(file('sweep.db'))).toBe(false);
    expect(refusedWith('sweep', 'report', 'nowhere')).toContain("nowhere is not a sweep's folder");
    expect(refusedWith('sweep', 'report')).toContain("Name a local sweep's folder, or a server");
    expect(refusedWith('worker')).toContain('A worker takes cells from a server');
  });

  it('reports a cell whose scenario threw as failed, with what it recorded, and exits 1', () => {
    writeFileSync(
      file('unlucky.js'),
      "module.exports = (sim, { seed }) => { if (seed === 2) throw new Error('seed two is unlucky'); };",
    );
    writeFileSync(file('set.json'), JSON.stringify({ plugins: ['@chronovisor/mmu'] }));
    writeFileSync(
      file('unlucky.json'),
      JSON.stringify({ scenario: 'unlucky.js', config: 'set.json', axes: { seed: [1, 2] } }),
    );
    const swept = chronovisor('sweep', 'unlucky.json', '--workers', '1');
    expect(swept.status).toBe(1);
    expect(swept.stdout).toContain('cell 1 failed: seed two is unlucky');
    expect(swept.stdout).toContain('2 cells: 1 done, 1 failed, 0 waiting');
    const { rows } = JSON.parse(
      chronovisor('sweep', 'report', '.chronovisor/sweeps/unlucky', '--json').stdout,
    ) as { rows: (ReportRow & { error: string })[] };
    expect(rows[1]).toMatchObject({
      status: 'failed',
      error: 'seed two is unlucky',
      run: path.join('.chronovisor', 'sweeps', 'unlucky', 'cell-1.partial.db'),
    });
    expect(existsSync(file(rows[1]!.run))).toBe(true);
  });

  it('runs the example grid of the repository', () => {
    const swept = chronovisor(
      'sweep',
      path.join(root, 'examples', 'heap-sweep', 'grid.json'),
      '--workers',
      '2',
      '--json',
    );
    expect(swept.status).toBe(0);
    const report = JSON.parse(swept.stdout) as { rows: Record<string, unknown>[]; done: number };
    expect(report.done).toBe(16);
    // Policies differ in how well they use the heap; the seeds' workloads are the same under each.
    const utilization = (policy: string, seed: number) =>
      report.rows.find(
        (r) => r['heap.policy'] === policy && r.seed === seed && r['heap.tagBits'] === 8,
      )!['heap.utilization'] as number;
    expect(utilization('best-fit', 1)).toBeGreaterThan(utilization('segregated', 1));
  });
});
