import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  readFileSync,
  truncateSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SqliteStore } from '@chronovisor/store';
import { bin, binHarness, root } from './test-support/bin-harness';

const quickstart = path.join(root, 'examples', 'quickstart');
const { chronovisor, refusedWith, file, dir: tempDir } = binHarness();

describe('chronovisor', () => {
  jest.setTimeout(60_000);

  it('runs the quickstart, and the run file replays and verifies', () => {
    const run = chronovisor('run', quickstart, '--out', file('q.db'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Recorded quickstart → ${file('q.db')}`);
    expect(run.stdout).toMatch(/mmu\s+mmu\.isolation\.violated\s+1/);
    expect(run.stdout).toMatch(/final digest\s+[0-9a-f]{64}/);
    expect(run.stdout).toContain(`chronovisor verify ${file('q.db')}`);
    const replay = chronovisor('replay', file('q.db'));
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/✓ \d+ records replayed, \d+ digests checked/);
    const verify = chronovisor('verify', file('q.db'), '--json');
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, signatures: 'unsigned' });
  });

  it('records identical runs for the same seed', () => {
    expect(chronovisor('run', quickstart, '--seed', '7', '--out', file('a.db')).status).toBe(0);
    expect(
      chronovisor('run', quickstart, '--seed', '7', '--out', file('b.db'), '--json').status,
    ).toBe(0);
    const a = SqliteStore.open(file('a.db'), { readonly: true });
    const b = SqliteStore.open(file('b.db'), { readonly: true });
    expect([...b.read(1)]).toEqual([...a.read(1)]);
    expect(b.digests()).toEqual(a.digests());
    expect(b.treeRoot()).toEqual(a.treeRoot());
    a.close();
    b.close();
  });

  it('never replaces a run unless asked', () => {
    const first = chronovisor('run', quickstart, '--json');
    const second = chronovisor('run', quickstart, '--json');
    const files = [first, second].map((r) => (JSON.parse(r.stdout) as { file: string }).file);
    expect(files).toEqual([
      path.join('.chronovisor', 'runs', 'quickstart-seed1.db'),
      path.join('.chronovisor', 'runs', 'quickstart-seed1-2.db'),
    ]);
    expect(refusedWith('run', quickstart, '--out', files[0]!)).toBe(
      `error: ${files[0]} already exists; pass --force to replace it`,
    );
    expect(chronovisor('run', quickstart, '--out', files[0]!, '--force').status).toBe(0);
  });

  it.each([
    ['by package name', (name: string) => name],
    [
      'by path',
      (name: string) =>
        path.join(
          root,
          name === '@chronovisor/mmu'
            ? 'packages/mmu'
            : name === '@chronovisor/plugin-heap'
              ? 'plugins/heap'
              : 'examples/counter',
        ),
    ],
  ])('loads every plugin in the repository %s, through its default export', (_how, spec) => {
    writeFileSync(
      file('every.json'),
      JSON.stringify({
        plugins: [
          { name: spec('@chronovisor/mmu'), options: { frames: 64 } },
          spec('@chronovisor/plugin-heap'),
          { name: spec('@chronovisor/example-counter'), options: { wrapAt: 3 } },
        ],
      }),
    );
    writeFileSync(
      file('every-commands.json'),
      JSON.stringify([
        { type: 'mmu.create-partition', args: { name: 'host', frames: 64 } },
        { type: 'mmu.create-space', args: { kind: 'host', partition: 'host' } },
        { type: 'heap.malloc', args: { space: 1, size: 24 } },
        { type: 'counter.increment', args: { name: 'n', by: 3 } },
      ]),
    );
    const run = chronovisor(
      'run',
      file('every-commands.json'),
      '--config',
      file('every.json'),
      '--out',
      file('every.db'),
      '--force',
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      byType: Record<string, number>;
      rejections: number;
    };
    expect(summary.rejections).toBe(0);
    expect(summary.byType).toMatchObject({
      'heap.block.allocated': 1,
      'counter.value.incremented': 1,
      'counter.value.reset': 1, // the counter's wrap reactor, with its option
    });
  });

  it('runs a JSON file of commands on the default plugin set', () => {
    writeFileSync(
      file('commands.json'),
      JSON.stringify([
        { type: 'mmu.create-partition', args: { name: 'host', frames: 8 } },
        { type: 'mmu.create-space', args: { kind: 'host', partition: 'host' } },
        { type: 'mmu.map', args: { space: 1, va: 0, pages: 1 }, actor: 'init' },
      ]),
    );
    const run = chronovisor('run', file('commands.json'), '--out', file('c.db'), '--json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      records: 6,
      commands: 3,
      events: 3,
      rejections: 0,
    });
  });

  describe('refuses bad input with exit code 2 and one line naming the problem', () => {
    const config = (name: string, value: unknown) => {
      writeFileSync(file(name), typeof value === 'string' ? value : JSON.stringify(value));
      return file(name);
    };
    const refused = (...args: string[]) => {
      const result = chronovisor(...args);
      expect(result.status).toBe(2);
      return result.stderr.trim();
    };

    it('a missing scenario', () => {
      expect(refused('run', file('nothing.ts'))).toBe(
        `error: Scenario ${file('nothing.ts')} does not exist`,
      );
    });

    it.each([
      ['not JSON', '{ plugins: [', /is not valid JSON/],
      ['no plugins', { plugins: [] }, /plugins: Too small: expected array to have >=1 items/],
      [
        'a wrong type',
        { plugins: ['@chronovisor/mmu'], seed: 'one' },
        /seed: Invalid input: expected number, received string/,
      ],
      [
        'an unknown field',
        { plugins: ['@chronovisor/mmu'], sead: 1 },
        /\(top level\): Unrecognized key: "sead"/,
      ],
      [
        'bad plugin options',
        { plugins: [{ name: '@chronovisor/mmu', options: { frames: -1 } }] },
        /options\.frames = -1: Too small/,
      ],
    ])('a malformed config: %s', (_what, value, message) => {
      const stderr = refused(
        'run',
        quickstart,
        '--config',
        config('bad.json', value),
        '--out',
        file('x.db'),
      );
      expect(stderr).toMatch(message);
      expect(stderr).toContain(file('bad.json'));
    });

    it('an unknown plugin', () => {
      const stderr = refused(
        'run',
        quickstart,
        '--config',
        config('c.json', { plugins: ['@chronovisor/plugin-nope'] }),
        '--out',
        file('x.db'),
      );
      expect(stderr).toMatch(
        /^error: Plugin "@chronovisor\/plugin-nope" cannot be loaded: Cannot find module/,
      );
    });

    it('a plugin whose requirement is unmet', () => {
      const needy = path.join(__dirname, 'test-fixtures', 'needy-plugin.js');
      const stderr = refused(
        'run',
        quickstart,
        '--config',
        config('c.json', { plugins: ['@chronovisor/mmu', needy] }),
        '--out',
        file('x.db'),
      );
      expect(stderr).toBe(
        'error: Plugin "@test/needy"@1.0.0 requires "@chronovisor/plugin-heap" ^1.0.0, which is not in the plugin set',
      );
    });

    it('a plugin that declares a type outside its prefix: refused before any file is made', () => {
      const stray = path.join(__dirname, 'test-fixtures', 'stray-plugin.js');
      const stderr = refused(
        'run',
        quickstart,
        '--config',
        config('c.json', { plugins: ['@chronovisor/mmu', stray] }),
        '--out',
        file('stray.db'),
      );
      expect(stderr).toBe(
        'error: Plugin "@test/stray" declares command type "other.poke", which does not start with its prefix "stray."',
      );
      expect(existsSync(file('stray.db'))).toBe(false);
    });

    it('an unknown option or command', () => {
      expect(chronovisor('run', quickstart, '--sed', '1').status).toBe(2);
      expect(chronovisor('frobnicate').status).toBe(2);
    });

    it('a truncated run file, and a file that is not a run', () => {
      expect(chronovisor('run', quickstart, '--out', file('t.db')).status).toBe(0);
      truncateSync(file('t.db'), Math.floor(statSync(file('t.db')).size / 3));
      expect(refused('verify', file('t.db'))).toMatch(/^error: .*t\.db/);
      writeFileSync(file('notes.db'), 'just some text');
      expect(refused('replay', file('notes.db'))).toMatch(/is not a Chronovisor run/);
    });
  });

  describe('over a recorded run', () => {
    beforeEach(() => {
      expect(chronovisor('run', quickstart, '--out', file('r.db')).status).toBe(0);
    });

    it('re-executes it on the same plugin set identically, and on another with the first divergence', () => {
      const same = chronovisor(
        'reexec',
        file('r.db'),
        '--config',
        path.join(quickstart, 'chronovisor.config.json'),
      );
      expect(same.status).toBe(0);
      expect(same.stdout).toMatch(/✓ Re-execution reproduced all \d+ records/);
      writeFileSync(
        file('fifo.json'),
        JSON.stringify({
          plugins: [
            {
              name: '@chronovisor/mmu',
              options: { frames: 4096, tlb: { entries: 4, policy: 'fifo' } },
            },
            '@chronovisor/plugin-heap',
            '@chronovisor/plugin-handles',
            '@chronovisor/plugin-snapshot-boot',
            '@chronovisor/plugin-checkpoint',
            '@chronovisor/plugin-guest-leverage',
            '@chronovisor/plugin-global-overlay',
            {
              name: '@chronovisor/plugin-vmm-update',
              options: {
                trustedKeys: {
                  ops: 'c050c5637a44fa8629fff3cccce2300cb362a63d99d95fc54145266f4332445a',
                },
              },
            },
          ],
          seed: 1,
        }),
      );
      const other = chronovisor('reexec', file('r.db'), '--config', file('fifo.json'), '--json');
      expect(other.status).toBe(1);
      const report = JSON.parse(other.stdout) as {
        divergence: { seq: number; recorded: { type: string } };
      };
      expect(report.divergence.recorded.type).toMatch(/^mmu\.memory\./);
    });

    it('exports it to NDJSON and imports it into a copy that verifies', () => {
      expect(chronovisor('export', file('r.db'), '--ndjson', file('r.ndjson')).status).toBe(0);
      const imported = chronovisor('import', file('r.ndjson'), '--out', file('copy.db'), '--json');
      expect(imported.status).toBe(0);
      expect(chronovisor('verify', file('copy.db')).status).toBe(0);
      expect(chronovisor('replay', file('copy.db')).status).toBe(0);
      expect(refusedWith('import', file('r.ndjson'))).toBe(
        'error: import needs --out <run.db> (or --store postgres://…)',
      );
    });

    it('converts a run of the format before batch names, exported then, saying so', () => {
      const fixture = path.join(root, 'packages', 'store', 'fixtures', 'format8-run.ndjson');
      const imported = chronovisor('import', fixture, '--out', file('f8.db'));
      expect(imported.status).toBe(0);
      expect(imported.stdout).toMatch(/1449 records imported/);
      expect(imported.stdout).toMatch(/note: .* exported by the version before batch names/);
      expect(chronovisor('verify', file('f8.db')).status).toBe(0);
    });

    it('counts its records by type, actor, plugin and over time', () => {
      const result = chronovisor('stats', file('r.db'), '--json');
      expect(result.status).toBe(0);
      const counts = JSON.parse(result.stdout) as {
        records: number;
        byPlugin: Record<string, number>;
        byActor: Record<string, number>;
        overTime: { records: number }[];
      };
      const plugins = ['handles', 'heap', 'leverage', 'mmu', 'overlay', 'proc', 'snapshot', 'vmm'];
      expect(Object.keys(counts.byPlugin).sort()).toEqual(plugins);
      expect(plugins.reduce((n, p) => n + counts.byPlugin[p]!, 0)).toBe(counts.records);
      expect(Object.keys(counts.byActor)).toEqual(
        expect.arrayContaining(['vmm', 'vm:1/proc:1', 'host:snoop']),
      );
      expect(counts.overTime.reduce((n, s) => n + s.records, 0)).toBe(counts.records);
    });

    it("answers the README's `why` on the quickstart with the write behind it", () => {
      const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
      const address = /debug my-run\.db .*why (\d+:0x[0-9a-f]+)/.exec(readme)![1]!;
      const why = chronovisor('debug', file('r.db'), '--eval', `goto end; why ${address}`);
      expect(why.status).toBe(0);
      expect(why.stdout).toMatch(/written at seq \d+ through \d+:0x[0-9a-f]+ by /);
    });

    it("keeps snapshots of every plugin's state in the file, and reads the same state from them", () => {
      copyFileSync(file('r.db'), file('indexed.db'));
      const before = chronovisor('inspect', file('r.db'), '--at', '5000', '--json');
      const indexed = chronovisor('index', file('indexed.db'), '--every', '2000');
      expect(indexed.stderr).toBe('');
      expect(indexed.status).toBe(0);
      const after = chronovisor('inspect', file('indexed.db'), '--at', '5000', '--json');
      expect(after.status).toBe(0);
      expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
    });

    it('shows the state at any record', () => {
      const result = chronovisor('inspect', file('r.db'), '--at', '20', '--json');
      expect(result.status).toBe(0);
      const state = JSON.parse(result.stdout) as {
        at: number;
        record: { seq: number };
        summaries: { mmu: { partitions: unknown[] } };
      };
      expect(state.record.seq).toBe(20);
      expect(state.summaries.mmu.partitions).toHaveLength(2);
      expect(refusedWith('inspect', file('r.db'), '--at', '99999999')).toMatch(
        /^error: --at 99999999 is outside the run: its records are 1 to \d+$/,
      );
    });
  });

  it('shows progress and colour on a terminal only, and never with NO_COLOR or --quiet', () => {
    // `script` gives the command a pseudo-terminal, as a user's shell would.
    const onTerminal = (command: string, env: NodeJS.ProcessEnv = {}) =>
      spawnSync('script', ['-qec', command, '/dev/null'], {
        cwd: tempDir(),
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }).stdout;
    const run = `${process.execPath} ${bin} run ${quickstart} --force --out ${file('tty.db')}`;
    const colourful = onTerminal(run, { NO_COLOR: '' });
    expect(colourful).toContain('\rrecording 16,384 records');
    expect(colourful).toContain('\x1b[1mRecorded quickstart');
    const plain = onTerminal(run, { NO_COLOR: '1' });
    expect(plain).not.toContain('\x1b[1m');
    expect(onTerminal(`${run} --quiet`)).not.toContain('recording 16,384');
    // Not a terminal: no colour even where CI is set (which picocolors alone would colour).
    const piped = spawnSync(process.execPath, [bin, 'verify', file('tty.db')], {
      cwd: tempDir(),
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '' },
    });
    expect(piped.stdout).toMatch(/^✓ /);
    expect(onTerminal(`${process.execPath} ${bin} replay ${file('tty.db')}`)).toMatch(
      /replaying \[#+\] 100%/,
    );
  });

  it('lists a plugin set with what each plugin contributes', () => {
    const result = chronovisor('plugins', '--json');
    expect(result.status).toBe(0);
    const [mmu] = JSON.parse(result.stdout) as {
      name: string;
      commands: string[];
      events: string[];
    }[];
    expect(mmu).toMatchObject({ name: '@chronovisor/mmu' });
    expect(mmu!.commands).toContain('mmu.map');
    expect(mmu!.events).toContain('mmu.fault.raised');
  });

  it("signs a run with --sign and checks it against the signer's key with --key", () => {
    const signer = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    writeFileSync(file('signer.pem'), signer.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(file('signer.pub.pem'), signer.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(file('other.pub.pem'), other.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(
      chronovisor('run', quickstart, '--out', file('s.db'), '--sign', file('signer.pem')).status,
    ).toBe(0);
    const trusted = chronovisor('verify', file('s.db'), '--key', file('signer.pub.pem'), '--json');
    expect(trusted.status).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ ok: true, signatures: 'trusted key' });
    const wrongKey = chronovisor('verify', file('s.db'), '--key', file('other.pub.pem'));
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stdout).toMatch(
      /✗ The signature of the tree head at \d+ does not verify: records 1 to \d+ cannot be trusted/,
    );
    expect(refusedWith('verify', file('s.db'), '--key', file('missing.pem'))).toBe(
      `error: Key file ${file('missing.pem')} does not exist`,
    );
    expect(
      refusedWith('run', quickstart, '--out', file('t.db'), '--sign', file('signer.pub.pem')),
    ).toMatch(/is not a private key in PEM/);
  });

  it('reads no altered batch as if whole: replay, export, inspect and stats refuse it unless --no-verify', () => {
    expect(chronovisor('run', quickstart, '--out', file('a.db'), '--quiet').status).toBe(0);
    const db = new Database(file('a.db'));
    const row = db.prepare('SELECT first_seq, bytes FROM batches LIMIT 1 OFFSET 3').get() as {
      first_seq: number;
      bytes: Buffer;
    };
    const batch = inflateRawSync(row.bytes);
    batch[batch.length - 1]! ^= 1; // the last record's last payload byte: it still decodes
    db.prepare('UPDATE batches SET bytes = ? WHERE first_seq = ?').run(
      deflateRawSync(batch),
      row.first_seq,
    );
    db.close();
    const refusal = new RegExp(
      `^error: ${file('a.db')}: the batch of seqs \\d+ to \\d+ no longer matches its hash: the run was altered`,
    );
    expect(refusedWith('replay', file('a.db'))).toMatch(refusal);
    expect(refusedWith('export', file('a.db'), '--ndjson', file('a.ndjson'))).toMatch(refusal);
    expect(refusedWith('stats', file('a.db'))).toMatch(refusal);
    expect(refusedWith('inspect', file('a.db'), '--at', '4000')).toMatch(refusal);
    // Read all the same: replayed, and where the altered byte changed the state, the digest says so.
    const unverified = chronovisor('replay', file('a.db'), '--no-verify');
    expect(unverified.stderr).not.toMatch(refusal);
    expect(unverified.stdout).toMatch(
      /✓ \d+ records replayed|✗ State differs from the run at seq \d+/,
    );
    expect(chronovisor('verify', file('a.db')).stdout).toMatch(/✗ Record \d+ was altered/);
  });

  it('exits 1, naming the record, when a run was tampered with', () => {
    expect(chronovisor('run', quickstart, '--out', file('v.db')).status).toBe(0);
    const db = new Database(file('v.db'));
    db.prepare('DELETE FROM heads WHERE size = (SELECT max(size) FROM heads)').run();
    db.close();
    const verify = chronovisor('verify', file('v.db'));
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/✗ Records \d+ to \d+ are covered by no tree head/);
  });

  it('prints the final head; proves a record; checks the proof and the run against the head kept', () => {
    const run = chronovisor('run', quickstart, '--out', file('p.db'), '--json');
    const { head } = JSON.parse(run.stdout) as { head: string };
    expect(head).toMatch(/^\d+:[0-9a-f]{64}$/);
    expect(chronovisor('run', quickstart, '--out', file('p2.db')).stdout).toContain(
      `chronovisor verify ${file('p2.db')} --head ${head}`,
    );

    expect(
      chronovisor('prove', file('p.db'), '--seq', '1234', '--out', file('proof.json')).status,
    ).toBe(0);
    const checked = chronovisor('verify', '--proof', file('proof.json'), '--head', head);
    expect(checked.status).toBe(0);
    expect(checked.stdout).toMatch(/✓ Record 1234 \(\w+ [\w.-]+\) is in the run as the head/);
    // The proof against another head, a forged proof, a proof file that exists already.
    const other = `${head.split(':')[0]}:${'0'.repeat(64)}`;
    expect(chronovisor('verify', '--proof', file('proof.json'), '--head', other).status).toBe(1);
    const proof = JSON.parse(readFileSync(file('proof.json'), 'utf8')) as {
      batch: { bytes: string };
    };
    const bytes = Buffer.from(proof.batch.bytes, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    proof.batch.bytes = bytes.toString('base64');
    writeFileSync(file('forged.json'), JSON.stringify(proof));
    const forged = chronovisor('verify', '--proof', file('forged.json'), '--head', head);
    expect(forged.status).toBe(1);
    expect(forged.stdout).toContain('does not hash to the head');
    expect(refusedWith('prove', file('p.db'), '--seq', '1', '--out', file('proof.json'))).toBe(
      `error: ${file('proof.json')} already exists; pass --force to replace it`,
    );
    expect(refusedWith('verify', '--proof', file('p.db'))).toMatch(/^error: .*p\.db is not JSON/);
    expect(refusedWith('verify', file('p.db'), '--head', 'latest')).toMatch(
      /^error: --head: A head is/,
    );

    // The run file against the head kept: still whole, then with its last batch and head cut off.
    expect(chronovisor('verify', file('p.db'), '--head', head).status).toBe(0);
    const db = new Database(file('p.db'));
    db.prepare('DELETE FROM batches WHERE first_seq = (SELECT max(first_seq) FROM batches)').run();
    db.prepare('DELETE FROM heads WHERE size = (SELECT max(size) FROM heads)').run();
    db.close();
    expect(chronovisor('verify', file('p.db')).status).toBe(0);
    const cut = chronovisor('verify', file('p.db'), '--head', head);
    expect(cut.status).toBe(1);
    expect(cut.stdout).toMatch(
      /✗ The run no longer extends the head .*: it holds only \d+ records/,
    );
  });

  describe('loses nothing a user made', () => {
    const scenario = (name: string, body: string) => {
      writeFileSync(
        file(name),
        `const mmu = require('@chronovisor/mmu');\nmodule.exports = async (sim) => {\n${body}\n};\n`,
      );
      return file(name);
    };
    const map = `sim.dispatch(mmu.createPartition, { name: 'host', frames: 16 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'host' }).value;
  for (let i = 0; i < 3000; i++) sim.dispatch(mmu.flush, {});`;

    it('refuses to write over an input, a directory or an existing file (unless --force), and writes whole files only', () => {
      expect(chronovisor('run', quickstart, '--out', file('in.db'), '--quiet').status).toBe(0);
      expect(existsSync(file('in.db-wal'))).toBe(false); // the .db alone is the run
      const size = statSync(file('in.db')).size;
      expect(refusedWith('export', file('in.db'), '--ndjson', file('in.db'))).toBe(
        `error: ${file('in.db')} is the input ${file('in.db')}; write the output to another file`,
      );
      expect(refusedWith('export', file('in.db'), '--ndjson', tempDir())).toBe(
        `error: ${tempDir()} is a directory; name a file to write`,
      );
      expect(statSync(file('in.db')).size).toBe(size);
      expect(chronovisor('export', file('in.db'), '--ndjson', file('in.ndjson')).status).toBe(0);
      expect(refusedWith('export', file('in.db'), '--ndjson', file('in.ndjson'))).toBe(
        `error: ${file('in.ndjson')} already exists; pass --force to replace it`,
      );
      expect(
        chronovisor('export', file('in.db'), '--ndjson', file('in.ndjson'), '--force').status,
      ).toBe(0);
      // A refused import leaves nothing behind.
      writeFileSync(
        file('bad.ndjson'),
        `${readFileSync(file('in.ndjson'), 'utf8').slice(0, 5000)}\n{oops\n`,
      );
      expect(refusedWith('import', file('bad.ndjson'), '--out', file('bad.db'))).toMatch(
        /not JSON/,
      );
      expect(existsSync(file('bad.db'))).toBe(false);
      expect(existsSync(file('bad.partial.db'))).toBe(false);
    });

    it('keeps the old run when a forced re-record fails, and the new one under its partial name', () => {
      expect(chronovisor('run', scenario('good.js', map), '--out', file('run.db')).status).toBe(0);
      const before = statSync(file('run.db')).size;
      const failing = scenario('bad.js', `${map}\n  throw new Error('out of ideas');`);
      const refused = chronovisor('run', failing, '--out', file('run.db'), '--force');
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(
        `kept in ${file('run.partial.db')} (${file('run.db')} is as it was): out of ideas`,
      );
      expect(statSync(file('run.db')).size).toBe(before);
      expect(chronovisor('verify', file('run.db')).status).toBe(0);
      expect(chronovisor('verify', file('run.partial.db')).status).toBe(0);
    });

    it('keeps the old run when a forced re-record is killed', async () => {
      expect(chronovisor('run', scenario('good.js', map), '--out', file('k.db')).status).toBe(0);
      const before = readFileSync(file('k.db'));
      const slow = scenario(
        'slow.js',
        `${map}\n  await new Promise((r) => setTimeout(r, 60_000));`,
      );
      const child = spawn(process.execPath, [bin, 'run', slow, '--out', file('k.db'), '--force']);
      await new Promise<void>((resolve) => {
        const poll = () => (existsSync(file('k.partial.db')) ? resolve() : setTimeout(poll, 20));
        poll();
      });
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      expect(readFileSync(file('k.db')).equals(before)).toBe(true);
      expect(existsSync(file('k.partial.db'))).toBe(true);
      // The killed run's file: whole up to its last commit, and said to be unfinished.
      const verify = chronovisor('verify', file('k.partial.db'), '--json');
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, closedCleanly: false });
      const replay = chronovisor('replay', file('k.partial.db'));
      expect(replay.status).toBe(0);
      expect(replay.stderr).toMatch(
        /^note: .*k\.partial\.db was never closed \(its recording was interrupted\): it holds the \d+ records committed before\n$/,
      );
    });
  });

  it('names each refused command and its reason; --strict makes any refusal exit 1', () => {
    writeFileSync(
      file('bad.json'),
      JSON.stringify([
        { type: 'mmu.create-partition', args: { name: 'host', frames: 4 } },
        { type: 'mmu.map', args: { space: 1, va: '0x1000', pages: 1 } },
        { type: 'mmu.frobnicate', args: {} },
      ]),
    );
    const run = chronovisor('run', file('bad.json'), '--out', file('bad.db'));
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      '  seq 3  mmu.map  ValidationError: Invalid command mmu.map: args.va = "0x1000": Invalid input: expected number, received string',
    );
    expect(run.stdout).toMatch(
      / {2}seq 4 {2}mmu\.frobnicate {2}UnknownCommandError: No plugin in this set handles command "mmu\.frobnicate"/,
    );
    const strict = chronovisor(
      'run',
      file('bad.json'),
      '--out',
      file('bad2.db'),
      '--strict',
      '--json',
    );
    expect(strict.status).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({
      rejections: 2,
      refusals: [
        { seq: 3, type: 'mmu.map' },
        { seq: 4, type: 'mmu.frobnicate' },
      ],
    });
  });

  it.each([
    ['replay', ['replay', '.'], 'error: . is a directory, not a run file'],
    ['verify', ['verify', '.'], 'error: . is a directory, not a run file'],
    ['trace', ['trace', '.'], 'error: Trace file . is a directory; name a file'],
    ['import', ['import', '.', '--out', 'x.db'], 'error: NDJSON run . is a directory; name a file'],
    [
      'run --out',
      ['run', quickstart, '--out', '.', '--force'],
      'error: . is a directory; name a file to write',
    ],
  ])('names a directory where %s expects a file, exit 2', (_case, args, message) => {
    expect(refusedWith(...args)).toBe(message);
  });

  it('prints errors as JSON on standard output with --json', () => {
    const result = chronovisor('replay', file('nope.db'), '--json');
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { name: 'StoreError', message: `${file('nope.db')} does not exist`, exit: 2 },
    });
  });

  it("feeds an export's commands back as a scenario (bytes as the export writes them), to the same state", () => {
    const run = chronovisor('run', quickstart, '--out', file('q.db'), '--json');
    const { finalDigest } = JSON.parse(run.stdout) as { finalDigest: string };
    expect(chronovisor('export', file('q.db'), '--ndjson', file('q.ndjson')).status).toBe(0);
    const commands = readFileSync(file('q.ndjson'), 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line.startsWith('{"seq"'))
      .map(
        (line) => JSON.parse(line) as { kind: string; type: string; args: unknown; actor: string },
      )
      .filter((r) => r.kind === 'command')
      .map(({ type, args, actor }) => JSON.stringify({ type, args, actor }));
    expect(commands.join('\n')).toContain('{"$bytes":');
    writeFileSync(file('commands.ndjson'), `${commands.join('\n')}\n`);
    const config = path.join(quickstart, 'chronovisor.config.json');
    const again = chronovisor(
      'run',
      file('commands.ndjson'),
      '--config',
      config,
      '--out',
      file('again.db'),
      '--json',
      '--strict',
    );
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ finalDigest, rejections: 0 });
  });

  it('gives a scenario an RNG seeded by --seed, and reads the config beside a one-file scenario', () => {
    const digest = (seed: string) =>
      (
        JSON.parse(
          chronovisor('run', quickstart, '--seed', seed, '--out', file(`s${seed}.db`), '--json')
            .stdout,
        ) as { finalDigest: string }
      ).finalDigest;
    expect(digest('7')).not.toBe(digest('8'));
    writeFileSync(
      file('chronovisor.config.json'),
      JSON.stringify({ plugins: [{ name: '@chronovisor/mmu', options: { frames: 64 } }] }),
    );
    writeFileSync(
      file('one.js'),
      `const mmu = require('@chronovisor/mmu');\nmodule.exports = (sim, { rng }) => {\n  sim.dispatch(mmu.createPartition, { name: 'host', frames: 64 + rng.nextInt(0, 1) });\n};\n`,
    );
    const run = chronovisor('run', file('one.js'), '--out', file('one.db'));
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`plugin set\\s+${file('chronovisor.config.json')}`));
    // 64 frames in the config: a partition of 65 is refused, of 64 made, as the seed draws.
    const refused = [1, 2, 3, 4, 5, 6].map((seed) => {
      const r = chronovisor(
        'run',
        file('one.js'),
        '--seed',
        String(seed),
        '--out',
        file(`one-${seed}.db`),
        '--json',
      );
      return (JSON.parse(r.stdout) as { rejections: number }).rejections;
    });
    expect(new Set(refused)).toEqual(new Set([0, 1]));
  });

  it("re-executes on the run's own plugin set by default, and says why another diverges", () => {
    expect(chronovisor('run', quickstart, '--out', file('q.db')).status).toBe(0);
    const same = chronovisor('reexec', file('q.db'));
    expect(same.status).toBe(0);
    expect(same.stdout).toMatch(/✓ Re-execution reproduced all \d+ records/);
    writeFileSync(
      file('small.json'),
      JSON.stringify({
        plugins: [
          { name: '@chronovisor/mmu', options: { frames: 512 } },
          { name: '@chronovisor/plugin-heap', options: { policy: 'best-fit', tagBits: 8 } },
        ],
      }),
    );
    const other = chronovisor('reexec', file('q.db'), '--config', file('small.json'));
    expect(other.status).toBe(1);
    expect(other.stdout).toContain(
      'refused (MmuError: Partition "host" wants 1024 frames but only 512 of 512 are unassigned)',
    );
  });

  it("names where a scenario is wrong: the compiler's line and column, or the line that threw", () => {
    writeFileSync(
      file('syntax.ts'),
      "import type { Simulation } from '@chronovisor/core';\nexport default function (sim: Simulation): void {\n  const x = ;\n}\n",
    );
    expect(refusedWith('run', file('syntax.ts'), '--out', file('s.db'))).toBe(
      `error: Scenario ${file('syntax.ts')} cannot be loaded: syntax.ts:3:13: error TS1109: Expression expected.`,
    );
    writeFileSync(
      file('throws.ts'),
      "import type { Simulation } from '@chronovisor/core';\nimport * as mmu from '@chronovisor/mmu';\nexport default function (sim: Simulation): void {\n  sim.dispatch(mmu.createPartition, { name: 'host', frames: 4 });\n  throw new Error('no more ideas');\n}\n",
    );
    expect(refusedWith('run', file('throws.ts'), '--out', file('t.db'))).toMatch(
      /: no more ideas \(at throws\.ts:5:9\)$/,
    );
  });

  it('says a run holds no records, where inspect has nothing to show', () => {
    writeFileSync(file('empty.json'), '[]');
    expect(chronovisor('run', file('empty.json'), '--out', file('empty.db')).status).toBe(0);
    expect(refusedWith('inspect', file('empty.db'))).toBe(
      `error: ${file('empty.db')} holds no records: nothing to inspect`,
    );
  });

  it('hints commands as the user runs them: through npm (npx), or installed', () => {
    writeFileSync(file('one.json'), '[]');
    const hint = (npm: string | undefined) => {
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
      delete env.npm_command;
      if (npm) env.npm_command = npm;
      const result = spawnSync(
        process.execPath,
        [bin, 'run', file('one.json'), '--out', file(`h-${npm}.db`)],
        {
          cwd: tempDir(),
          encoding: 'utf8',
          env,
        },
      );
      return result.stdout
        .split('\n')
        .find((l) => l.includes(' replay '))!
        .trim();
    };
    expect(hint('exec')).toBe(
      `npx chronovisor replay ${file('h-exec.db')}    # rebuild the state, checking every recorded digest`,
    );
    expect(hint(undefined)).toMatch(/^chronovisor replay /);
  });
});
