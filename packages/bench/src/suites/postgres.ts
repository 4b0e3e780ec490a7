import { startLocalPostgres } from '@chronovisor/store-postgres';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { figure, type Figure } from '../figure';

/** Commands each recording runs: about 400,000 records. */
const COMMANDS = 200_000;

/**
 * Records into PostgreSQL from 1, 2 and 4 processes at once, as a team's recordings or a sweep's
 * workers do, each its own run of the store suite's mixed MMU workload, beside the same
 * processes recording into SQLite files, in the same run. The server is a throwaway one on
 * loopback (see startLocalPostgres).
 */
export async function postgresSuite(): Promise<Figure[]> {
  const server = await startLocalPostgres();
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-bench-pg-'));
  try {
    const figures: Figure[] = [];
    for (const processes of [1, 2, 4]) {
      const url = await server.database(`bench_${processes}`);
      const pg = await recordAtOnce(processes, () => ['postgres', url]);
      const sqlite = await recordAtOnce(processes, (i) => [
        'sqlite',
        path.join(dir, `run-${processes}-${i}.db`),
      ]);
      figures.push(
        figure({
          suite: 'postgres',
          name: `record into PostgreSQL, ${processes} run${processes > 1 ? 's' : ''} at once (${pg.records.toLocaleString('en-US')} records in all)`,
          value: pg.records / pg.seconds,
          unit: 'records/s',
          baseline: {
            name: `the same into SQLite files`,
            value: sqlite.records / sqlite.seconds,
          },
        }),
      );
    }
    return figures;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts `processes` recordings, lets them go at once when all have warmed up, and gives the
 * records they wrote and the seconds the slowest took.
 */
async function recordAtOnce(
  processes: number,
  target: (i: number) => [string, string],
): Promise<{ records: number; seconds: number }> {
  const children = Array.from({ length: processes }, (_, i) =>
    spawn(
      process.execPath,
      [path.join(__dirname, '..', 'record-child.js'), ...target(i), String(COMMANDS)],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
    ),
  );
  const lines = children.map((child) => {
    const got: string[] = [];
    let partial = '';
    const waiters: (() => void)[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      got.push(...parts);
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (): Promise<string> => {
      while (got.length === 0) {
        if (child.exitCode !== null) throw new Error(`A recording exited with ${child.exitCode}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          child.once('exit', () => resolve());
        });
      }
      return got.shift()!;
    };
    return next;
  });
  await Promise.all(lines.map((next) => next())); // "ready"
  children.forEach((child) => child.stdin.end('go\n'));
  const results = (await Promise.all(lines.map((next) => next()))).map(
    (line) => JSON.parse(line) as { records: number; seconds: number },
  );
  await Promise.all(
    children.map((child) =>
      child.exitCode === null
        ? new Promise((resolve) => child.once('exit', resolve))
        : Promise.resolve(),
    ),
  );
  return {
    records: results.reduce((n, r) => n + r.records, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
  };
}
