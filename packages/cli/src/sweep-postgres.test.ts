import { startLocalPostgres, type LocalPostgres } from '@chronovisor/store-postgres';
import { writeFileSync } from 'node:fs';
import { binHarness, waitForFile } from './test-support/bin-harness';
import { sweepScenario, writeSweepGrid, type ReportRow } from './test-support/sweep-grid';

const { chronovisor, refusedWith, started, file } = binHarness();

let server: LocalPostgres;
beforeAll(async () => {
  server = await startLocalPostgres();
}, 60_000);
afterAll(() => server?.stop());

/** A database of its own, its URL without the password (which comes from PGPASSWORD). */
async function database(name: string): Promise<string> {
  process.env.PGPASSWORD = server.password;
  return (await server.database(name)).replace(/:[^:@/]*@/, '@');
}
afterEach(() => delete process.env.PGPASSWORD);

describe('chronovisor sweep on a PostgreSQL server', () => {
  jest.setTimeout(120_000);

  it('queues a grid, and a worker killed mid-cell has its cell run by another: one result a cell', async () => {
    const url = await database('sweep_kill');
    const queued = chronovisor(
      'sweep',
      writeSweepGrid(file),
      '--store',
      url,
      '--job-timeout',
      '2',
      '--json',
    );
    expect(queued.stderr).toBe('');
    expect(queued.status).toBe(0);
    expect(JSON.parse(queued.stdout)).toEqual({ sweep: 1, name: 'grid', cells: 3 });

    // The first worker takes cells until seed 2's, where it hangs; it is killed there.
    const marker = file('hung');
    const first = started(['worker', '--store', url], { CHRONOVISOR_TEST_HANG: marker });
    const killedPid = Number(await waitForFile(marker));
    process.kill(killedPid, 'SIGKILL');
    await first.ended;
    // Another worker takes what is left; the dead one's cell comes back once its job times out.
    const second = chronovisor(
      'worker',
      '--store',
      url,
      '--until-done',
      '--check-expired-every',
      '1',
    );
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/cell 1 of grid#1 \(attempt 2\) done: \d+ events in/);

    // The server's sweeps, by id: this one, its three results in.
    const list = chronovisor('sweep', 'report', '--store', url, '--json');
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: 1, name: 'grid', cells: 3, results: 3 }]);
    const report = chronovisor('sweep', 'report', '1', '--store', url, '--json');
    expect(report.status).toBe(0);
    const { rows, done } = JSON.parse(report.stdout) as { rows: ReportRow[]; done: number };
    expect(done).toBe(3);
    expect(rows.map((r) => [r.cell, r.seed, r.status])).toEqual([
      [0, 1, 'done'],
      [1, 2, 'done'],
      [2, 3, 'done'],
    ]);
    expect(rows[1]!.attempt).toBe(2);
    expect(rows[1]!.worker).not.toMatch(new RegExp(`:${killedPid}$`));
    // Each cell's run is kept on the server, whole; the killed one's too, marked never closed (what
    // it held was in the batch still filling, lost with the process).
    for (const r of rows) {
      expect(r.run).toMatch(new RegExp(`^${url.replace(/[.?+*()[\]\\]/g, '\\$&')}#\\d+$`));
      expect(chronovisor('verify', r.run).status).toBe(0);
    }
    const runs = new Set(rows.map((r) => Number(r.run.split('#')[1])));
    const killed = [1, 2, 3, 4].find((n) => !runs.has(n))!;
    const partial = chronovisor('verify', `${url}#${killed}`, '--json');
    expect(JSON.parse(partial.stdout)).toMatchObject({ ok: true, closedCleanly: false });
  });

  it('runs workers here with --workers, then reports', async () => {
    const url = await database('sweep_local_workers');
    const swept = chronovisor(
      'sweep',
      writeSweepGrid(file),
      '--store',
      url,
      '--workers',
      '2',
      '--json',
    );
    expect(swept.stderr).toBe('');
    expect(swept.status).toBe(0);
    const { rows } = JSON.parse(swept.stdout) as { rows: ReportRow[] };
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });

  it('refuses bad input with one line, queueing nothing', async () => {
    const url = await database('sweep_refused');
    writeSweepGrid(file);
    writeFileSync(
      file('bad.json'),
      JSON.stringify({ scenario: sweepScenario, config: 'set.json', axes: { 'mmu.colour': [1] } }),
    );
    expect(refusedWith('sweep', 'bad.json', '--store', url)).toMatch(
      /refused its options: .*colour/,
    );
    expect(refusedWith('sweep', 'report', '1', '--store', url)).toBe(
      `error: ${url} has no sweep 1`,
    );
    expect(refusedWith('sweep', 'grid.json', '--store', url, '--out', 'x')).toContain(
      "--out names a local sweep's folder",
    );
    const refused = refusedWith(
      'sweep',
      'grid.json',
      '--store',
      `postgres://postgres@127.0.0.1:1/none`,
    );
    expect(refused).toMatch(/^error: postgres:\/\/postgres@127\.0\.0\.1:1\/none: .*ECONNREFUSED/);
    process.env.PGPASSWORD = 'not-the-password';
    const wrong = refusedWith('worker', '--store', url.replace('@', ':also-wrong@'));
    expect(wrong).toContain('password authentication failed for user "postgres"');
    expect(wrong).not.toMatch(/not-the-password|also-wrong/);
    expect(wrong.split('\n')).toHaveLength(1);
  });
});
