import * as path from 'node:path';
import { SqliteStore } from '@chronovisor/store';
import { binHarness, root } from './test-support/bin-harness';

const { chronovisor, refusedWith, file } = binHarness();
const example = path.join(root, 'examples', 'use-after-free');

describe('chronovisor sql', () => {
  jest.setTimeout(60_000);

  it("queries a run with SQL, the records' payloads as JSON: the addresses written", () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    const store = SqliteStore.open(file('uaf.db'), { readonly: true });
    const written = [...store.read(1)]
      .filter((r) => r.kind === 'event' && r.type === 'mmu.memory.written')
      .map((r) => ({ seq: r.seq, va: (r as { data: { va: number } }).data.va }));
    store.close();
    expect(written.length).toBeGreaterThan(1);

    const query =
      "SELECT seq, json_extract(payload, '$.va') AS va FROM records_json WHERE type = 'mmu.memory.written' ORDER BY seq";
    const json = chronovisor('sql', file('uaf.db'), query, '--json');
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(written);

    const text = chronovisor('sql', file('uaf.db'), query);
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^seq\s+va$/);
    expect(text.stdout).toMatch(new RegExp(`\\n${written[0]!.seq} +${written[0]!.va}\\n`));
    // What the stock shell sees is there too, and bytes read as an export writes them.
    const bytes = chronovisor(
      'sql',
      file('uaf.db'),
      "SELECT count(*) AS n, json_extract(min(payload), '$.data') AS data FROM records_json WHERE type = 'mmu.memory.written'",
      '--json',
    );
    const [{ n, data }] = JSON.parse(bytes.stdout) as [{ n: number; data: string }];
    expect(n).toBe(written.length);
    expect(data).toMatch(/^\{"\$bytes":"[A-Za-z0-9+/=]+"\}$/);
    expect(chronovisor('sql', file('uaf.db'), 'SELECT 1 WHERE 0').stdout).toContain('(no rows)');
  });

  it('refuses anything but a query, and says what SQLite found wrong', () => {
    expect(chronovisor('run', example, '--out', file('uaf.db')).status).toBe(0);
    expect(refusedWith('sql', file('uaf.db'), 'DELETE FROM meta')).toBe(
      'error: SQL: only a query that returns rows (SELECT …) runs on a run file, which stays read-only',
    );
    expect(refusedWith('sql', file('uaf.db'), 'SELEC 1')).toBe(
      'error: SQL: near "SELEC": syntax error',
    );
    expect(refusedWith('sql', file('uaf.db'), 'SELECT nosuch FROM records')).toBe(
      'error: SQL: no such column: nosuch',
    );
    expect(refusedWith('sql', file('missing.db'), 'SELECT 1')).toBe(
      `error: ${file('missing.db')} does not exist`,
    );
    expect(chronovisor('verify', file('uaf.db')).status).toBe(0); // untouched
  });
});
