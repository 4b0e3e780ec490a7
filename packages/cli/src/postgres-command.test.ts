import { startLocalPostgres, type LocalPostgres } from '@chronovisor/store-postgres';
import { Client } from 'pg';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { binHarness, root } from './test-support/bin-harness';

const { chronovisor, refusedWith, started, file: inDir } = binHarness();
const example = path.join(root, 'examples', 'use-after-free');

let server: LocalPostgres;
beforeAll(async () => {
  server = await startLocalPostgres();
}, 60_000);
afterAll(() => server?.stop());

describe('chronovisor with runs kept in PostgreSQL', () => {
  jest.setTimeout(120_000);

  it('records a run into PostgreSQL, replays it and verifies it there', async () => {
    // The password comes from PGPASSWORD, as PostgreSQL's own tools take it: out of the URL.
    const url = (await server.database('cli_runs')).replace(/:[^:@/]*@/, '@');
    process.env.PGPASSWORD = server.password;
    try {
      const recorded = chronovisor('run', example, '--store', url, '--json');
      expect(recorded.stderr).toBe('');
      expect(recorded.status).toBe(0);
      const { file, head } = JSON.parse(recorded.stdout) as { file: string; head: string };
      expect(file).toBe(`${url}#1`);
      expect(chronovisor('replay', file).status).toBe(0);
      const verified = chronovisor('verify', file, '--head', head, '--json');
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, closedCleanly: true });
      expect(verified.status).toBe(0);
      // An altered batch is refused by a reader, naming it, unless asked to read it anyway.
      const client = new Client({ connectionString: url, password: server.password });
      await client.connect();
      const where = 'WHERE run = 1 AND first_seq = 1';
      const { rows } = await client.query<{ leaf: Buffer }>(`SELECT leaf FROM batches ${where}`);
      await client.query(`UPDATE batches SET leaf = $1 ${where}`, [Buffer.alloc(32)]);
      const refused = chronovisor('stats', file);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/the batch of seqs 1 to \d+ no longer matches its hash/);
      expect(chronovisor('stats', file, '--no-verify').status).toBe(0);
      expect(chronovisor('replay', file, '--no-verify').status).toBe(0);
      await client.query(`UPDATE batches SET leaf = $1 ${where}`, [rows[0]!.leaf]);
      await client.end();
      // stats and inspect read it as they read a run file: the same answers.
      const local = chronovisor('run', example, '--out', 'local.db', '--json');
      expect(local.status).toBe(0);
      for (const command of [['stats'], ['inspect', '--at', '20']]) {
        const there = chronovisor(command[0]!, file, ...command.slice(1), '--json');
        expect(there.stderr).toBe('');
        expect(there.status).toBe(0);
        expect(JSON.parse(there.stdout)).toEqual(
          JSON.parse(chronovisor(command[0]!, 'local.db', ...command.slice(1), '--json').stdout),
        );
      }
      // Bad input: one line, exit 2, no password.
      expect(refusedWith('verify', `${url}#99`)).toContain(`${url} holds no run 99`);
      expect(refusedWith('replay', url)).toContain(
        `${url} names no run: add its id after #, as in ${url}#12`,
      );
      expect(refusedWith('run', example, '--store', 'runs.db')).toContain(
        '--store takes a PostgreSQL server (postgres://user@host:port/database), not runs.db',
      );
      expect(refusedWith('run', example, '--store', url, '--out', 'x.db')).toContain(
        '--out is for run files: a run recorded with --store has none',
      );
      process.env.PGPASSWORD = 'not-the-password';
      const wrong = refusedWith('verify', file);
      expect(wrong).toContain('password authentication failed for user "postgres"');
      expect(wrong).not.toContain('not-the-password');
    } finally {
      delete process.env.PGPASSWORD;
    }
  });
  it('travels in a run kept there, exports it, and serves its page, as for a run file', async () => {
    const url = (await server.database('cli_travel')).replace(/:[^:@/]*@/, '@');
    process.env.PGPASSWORD = server.password;
    try {
      const { file } = JSON.parse(chronovisor('run', example, '--store', url, '--json').stdout) as {
        file: string;
      };
      expect(chronovisor('run', example, '--out', 'local.db').status).toBe(0);

      // The debugger: the same answers; a bookmark made there is kept on the server.
      const script = 'goto 12; where; x/8xb 1:0x1040000000; rstep; bookmark here';
      const debugged = chronovisor('debug', file, '--eval', script, '--json');
      expect(debugged.stderr).toBe('');
      expect(debugged.status).toBe(0);
      const local = chronovisor('debug', 'local.db', '--eval', script, '--json');
      expect(JSON.parse(debugged.stdout)).toEqual(JSON.parse(local.stdout));
      expect(debugged.stdout).not.toMatch(/"error"/);
      const back = chronovisor('debug', file, '--eval', 'goto here; where', '--json');
      expect(JSON.parse(back.stdout)).toEqual(
        JSON.parse(chronovisor('debug', 'local.db', '--eval', 'goto here; where', '--json').stdout),
      );

      // Snapshots kept with it, as in the file: the debugger seeks from them alike.
      for (const run of [file, 'local.db']) {
        const indexed = chronovisor('index', run, '--every', '5', '--json');
        expect(indexed.status).toBe(0);
        expect(JSON.parse(indexed.stdout)).toMatchObject({ snapshots: 5, every: 5 });
      }
      const snapshots = (run: string) =>
        JSON.parse(
          chronovisor('debug', run, '--eval', 'info snapshots; goto 17; where', '--json').stdout,
        ) as unknown;
      expect(snapshots(file)).toEqual(snapshots('local.db'));
      // The five kept, beside the start's: the timeline found them on the server.
      expect(snapshots(file)).toMatchObject([{ value: { count: 6 } }, {}, {}]);

      // Export: the same NDJSON as the run file's, bookmark and all; imported, it verifies.
      expect(chronovisor('export', file, '--ndjson', 'there.ndjson').status).toBe(0);
      expect(chronovisor('export', 'local.db', '--ndjson', 'here.ndjson').status).toBe(0);
      expect(readFileSync(inDir('there.ndjson'), 'utf8')).toBe(
        readFileSync(inDir('here.ndjson'), 'utf8'),
      );
      expect(chronovisor('import', 'there.ndjson', '--out', 'back.db').status).toBe(0);
      expect(chronovisor('verify', 'back.db').status).toBe(0);
      // And onto the server: a run of its own there, exported again to the same bytes.
      const imported = chronovisor('import', 'here.ndjson', '--store', url, '--json');
      expect(imported.status).toBe(0);
      const { file: onServer } = JSON.parse(imported.stdout) as { file: string };
      expect(onServer).toMatch(new RegExp(`#${Number(file.split('#')[1]) + 1}$`));
      expect(chronovisor('verify', onServer).status).toBe(0);
      expect(chronovisor('export', onServer, '--ndjson', 'again.ndjson').status).toBe(0);
      expect(readFileSync(inDir('again.ndjson'), 'utf8')).toBe(
        readFileSync(inDir('here.ndjson'), 'utf8'),
      );
      // A tampered export is refused, naming the record, and leaves no run on the server.
      const lines = readFileSync(inDir('here.ndjson'), 'utf8').split('\n');
      const at = lines.findIndex((l) => l.includes('"seq":20,'));
      lines[at] = lines[at]!.replace('"tick":', '"tick":1');
      writeFileSync(inDir('tampered.ndjson'), lines.join('\n'));
      expect(refusedWith('import', 'tampered.ndjson', '--store', url)).toMatch(
        /tampered\.ndjson:\d+/,
      );
      const next = `${url}#${Number(onServer.split('#')[1]) + 1}`;
      expect(refusedWith('verify', next)).toContain(`holds no run`);
      expect(refusedWith('import', 'here.ndjson', '--store', url, '--out', 'x.db')).toContain(
        '--out is for run files',
      );

      // The web page's API over it: the same overview as the run file's.
      const overview = async (run: string) => {
        const ui = started(['ui', run, '--port', '0']);
        let printed = '';
        ui.child.stdout.on('data', (d: Buffer) => (printed += d.toString()));
        for (let waited = 0; !/token=/.test(printed) && waited < 20_000; waited += 50)
          await new Promise((r) => setTimeout(r, 50));
        const page = new URL(/http:\/\/\S+/.exec(printed)![0]);
        const api = new URL(
          `/api/overview?buckets=16&token=${page.searchParams.get('token')}`,
          page,
        );
        const answer = await (await fetch(api)).json();
        ui.child.kill('SIGTERM');
        await ui.ended;
        return answer;
      };
      expect(await overview(file)).toEqual(await overview('local.db'));
    } finally {
      delete process.env.PGPASSWORD;
    }
  });
});
