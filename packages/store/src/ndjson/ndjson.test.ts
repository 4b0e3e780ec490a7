import { MemoryStore } from '@chronovisor/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteStore } from '../sqlite/sqlite-store';
import { runWorkload } from '../test-support/workload';
import { NdjsonError, exportNdjson, importNdjson } from './ndjson';
import * as mmu from '@chronovisor/mmu';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signTreeHead } from '../audit/tree-head';
import { verifyRun } from '../audit/verify-run';
import { tamper } from '../test-support/tamper';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ndjson-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('NDJSON export and import', () => {
  it('round-trips a SQLite run exactly: records, digests, manifest, and so the same Merkle root', () => {
    const original = SqliteStore.create(path.join(dir, 'a.db'), { manifest: { seed: 1 } });
    const sim = runWorkload(original, 1200);
    original.flush(); // a short batch: the copy must end its batch there too
    for (let i = 0; i < 800; i++) sim.dispatch(mmu.flush, {});
    sim.close();
    original.bookmark('fork', 12, 'the child is born here');
    const file = path.join(dir, 'run.ndjson');
    expect(exportNdjson(original, original.manifest(), file)).toBe(original.head());

    const { manifest, records, store } = importNdjson(file, (header) =>
      SqliteStore.create(path.join(dir, 'b.db'), header),
    );
    const copy = store as SqliteStore;
    copy.close();
    original.close();
    const a = SqliteStore.open(path.join(dir, 'a.db'), { readonly: true });
    const b = SqliteStore.open(path.join(dir, 'b.db'), { readonly: true });
    expect(manifest).toEqual({ seed: 1 });
    expect(records).toBe(a.head());
    expect([...b.read(1)]).toEqual([...a.read(1)]);
    expect(b.digests()).toEqual(a.digests());
    expect(b.batchEnds()).toEqual(a.batchEnds());
    expect(b.bookmarks()).toEqual([{ name: 'fork', seq: 12, note: 'the child is born here' }]);
    expect(b.treeRoot()).toEqual(a.treeRoot());
    a.close();
    b.close();
  });

  it('reads a format-2 export (no seals), batching the run afresh', () => {
    const original = SqliteStore.create(path.join(dir, 'a.db'));
    runWorkload(original, 1500).close();
    const file = path.join(dir, 'run.ndjson');
    exportNdjson(original, {}, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    const old = [
      lines[0]!.replace('"format":5', '"format":2'),
      ...lines.slice(1).filter((l) => !l.startsWith('{"seal"') && !l.startsWith('{"head"')),
    ];
    writeFileSync(file, old.join('\n'));
    const { store } = importNdjson(file, () => SqliteStore.create(path.join(dir, 'b.db')));
    (store as SqliteStore).close();
    const b = SqliteStore.open(path.join(dir, 'b.db'), { readonly: true });
    expect([...b.read(1)]).toEqual([...original.read(1)]);
    const full = Math.floor(original.head() / 1024);
    expect(b.batchEnds()).toEqual([
      ...Array.from({ length: full }, (_, i) => (i + 1) * 1024),
      original.head(),
    ]);
    b.close();
    original.close();
  });

  // Exported by the versions before batch names (run format 8, NDJSON 3) and before payload
  // shapes (run format 9, NDJSON 4): the same 1,449 records in three batches, a head on each.
  const olderExports = [
    ['run format 8 (NDJSON 3)', 'format8-run.ndjson'],
    ['run format 9 (NDJSON 4)', 'format9-run.ndjson'],
  ] as const;

  it.each(olderExports)(
    'reads an export made by %s: checked against the audit it carries, then batched anew',
    (_format, name) => {
      const fixture = path.join(__dirname, '..', '..', 'fixtures', name);
      const { records, store, notes } = importNdjson(fixture, (header) =>
        SqliteStore.create(path.join(dir, 'b.db'), header),
      );
      (store as SqliteStore).close();
      expect(records).toBe(1449);
      expect(notes).toEqual([expect.stringContaining('batched anew, so its tree head is new')]);
      const b = SqliteStore.open(path.join(dir, 'b.db'), { readonly: true });
      expect(b.batchEnds()).toEqual([1024, 1369, 1449]);
      // The same records, recorded again today, give the same new run.
      const again = SqliteStore.create(path.join(dir, 'c.db'));
      again.append([...b.read(1, 1024)]);
      again.flush();
      again.append([...b.read(1025, 1369)]);
      again.flush();
      again.append([...b.read(1370)]);
      again.close();
      const c = SqliteStore.open(path.join(dir, 'c.db'), { readonly: true });
      expect(c.treeRoot()).toEqual(b.treeRoot());
      c.close();
      b.close();
      expect(verifyRun(path.join(dir, 'b.db')).ok).toBe(true);

      // An altered record, or an altered head, of such an export is refused by name.
      const lines = readFileSync(fixture, 'utf8').split('\n');
      const at = lines.findIndex((l) => l.startsWith('{"seq":1300,'));
      const altered = [...lines];
      altered[at] = altered[at]!.replace('"tick":', '"tick":1');
      writeFileSync(path.join(dir, 'altered.ndjson'), altered.join('\n'));
      expect(() =>
        importNdjson(path.join(dir, 'altered.ndjson'), () =>
          SqliteStore.create(path.join(dir, 'd.db')),
        ),
      ).toThrow(
        `altered.ndjson:${altered.findIndex((l) => l.startsWith('{"seal":1369')) + 1}: record 1300 does not match the checksum the export carries for it`,
      );
      const head = lines.findIndex((l) => l.startsWith('{"head"'));
      const forgedHead = [...lines];
      forgedHead[head] = forgedHead[head]!.replace(
        /"root":"(.)/,
        (_m, c: string) => `"root":"${c === '0' ? '1' : '0'}`,
      );
      writeFileSync(path.join(dir, 'head.ndjson'), forgedHead.join('\n'));
      expect(() =>
        importNdjson(path.join(dir, 'head.ndjson'), () =>
          SqliteStore.create(path.join(dir, 'e.db')),
        ),
      ).toThrow(
        `head.ndjson:${head + 1}: the records up to 1024 do not give the head the export carries`,
      );
    },
  );

  it.each(olderExports)(
    "checks a signed export of %s's signatures against the heads they signed, then leaves them behind",
    (_format, name) => {
      const fixture = path.join(__dirname, '..', '..', 'fixtures', name);
      const lines = readFileSync(fixture, 'utf8').split('\n');
      const signer = generateKeyPairSync('ed25519');
      /** The fixture as its recorder would have exported it had it signed its heads with `key`. */
      const signedWith = (key: KeyObject) =>
        lines.map((line, i) => {
          if (i === 0) {
            const header = JSON.parse(line) as Record<string, unknown>;
            const spki = signer.publicKey.export({ type: 'spki', format: 'der' });
            return JSON.stringify({ ...header, publicKey: spki.toString('base64') });
          }
          if (!line.startsWith('{"head"')) return line;
          const { head } = JSON.parse(line) as { head: { size: number; root: string } };
          const signature = signTreeHead(head.size, Buffer.from(head.root, 'hex'), key);
          return JSON.stringify({ head: { ...head, signature: signature.toString('base64') } });
        });
      writeFileSync(path.join(dir, 'signed.ndjson'), signedWith(signer.privateKey).join('\n'));
      const { store, notes } = importNdjson(path.join(dir, 'signed.ndjson'), (header) =>
        SqliteStore.create(path.join(dir, 'signed.db'), header),
      );
      (store as SqliteStore).close();
      expect(notes[0]).toMatch(/3 signatures over its old heads were left behind/);
      // The key stays behind with them: the new run's heads are unsigned, and it verifies.
      expect(verifyRun(path.join(dir, 'signed.db'))).toMatchObject({
        ok: true,
        signatures: 'unsigned',
      });

      const other = generateKeyPairSync('ed25519');
      writeFileSync(path.join(dir, 'forged.ndjson'), signedWith(other.privateKey).join('\n'));
      const head = lines.findIndex((l) => l.startsWith('{"head"'));
      expect(() =>
        importNdjson(path.join(dir, 'forged.ndjson'), () =>
          SqliteStore.create(path.join(dir, 'forged.db')),
        ),
      ).toThrow(`forged.ndjson:${head + 1}: the signature of the head at 1024 is not the signer's`);
    },
  );

  it('keeps a signed run signed: the copy verifies with the signer’s key', () => {
    const keys = generateKeyPairSync('ed25519');
    const original = SqliteStore.create(path.join(dir, 'a.db'), { signingKey: keys.privateKey });
    runWorkload(original, 1500).close();
    const file = path.join(dir, 'run.ndjson');
    exportNdjson(original, {}, file);
    original.close();
    const { store } = importNdjson(file, (header) =>
      SqliteStore.create(path.join(dir, 'b.db'), header),
    );
    (store as SqliteStore).close();
    expect(verifyRun(path.join(dir, 'b.db'), { trustedKey: keys.publicKey })).toMatchObject({
      ok: true,
      signatures: 'trusted key',
    });
  });

  describe('refuses to launder an altered run into a fresh audit chain', () => {
    const flip = (records: Buffer[], i: number) => {
      const copy = Buffer.from(records[i]!);
      copy[copy.length - 1]! ^= 0x01;
      return records.map((r, k) => (k === i ? copy : r));
    };
    const exportOf = (cover: 'none' | 'checksums') => {
      const original = SqliteStore.create(path.join(dir, 'a.db'));
      runWorkload(original, 1500).close();
      original.close();
      tamper(path.join(dir, 'a.db'), 1500, flip, cover);
      // Exported anyway, past the read checks (or by a tool of the forger's own).
      const altered = SqliteStore.open(path.join(dir, 'a.db'), { readonly: true, verify: false });
      const file = path.join(dir, 'run.ndjson');
      exportNdjson(altered, {}, file);
      altered.close();
      return file;
    };
    const importing = (file: string) => () =>
      importNdjson(file, (header) => SqliteStore.create(path.join(dir, 'b.db'), header));

    it('naming the record whose checksum the export carries', () => {
      const file = exportOf('none');
      expect(importing(file)).toThrow(
        /run\.ndjson:\d+: record 1500 does not match the checksum the export carries for it/,
      );
    });

    it('naming the head it breaks, when the checksums were rewritten too', () => {
      const file = exportOf('checksums');
      expect(importing(file)).toThrow(
        /run\.ndjson:\d+: the records up to 2048 do not give the head the export carries/,
      );
    });

    it('and an export edited by hand', () => {
      const original = SqliteStore.create(path.join(dir, 'a.db'));
      runWorkload(original, 600).close();
      const file = path.join(dir, 'run.ndjson');
      exportNdjson(original, {}, file);
      original.close();
      const lines = readFileSync(file, 'utf8').split('\n');
      const at = lines.findIndex((l) => l.startsWith('{"seq":100,'));
      lines[at] = lines[at]!.replace('"tick":', '"tick":1');
      writeFileSync(file, lines.join('\n'));
      expect(importing(file)).toThrow(/record 100 does not match the checksum the export carries/);
    });
  });

  it('writes bytes as base64 and reads them back as bytes', () => {
    const store = new MemoryStore();
    store.append([
      {
        seq: 1,
        tick: 1,
        actor: 'u',
        cause: 0,
        kind: 'command',
        type: 'mmu.write',
        args: { data: Uint8Array.of(1, 2, 250) },
      },
    ]);
    const file = path.join(dir, 'one.ndjson');
    exportNdjson(store, {}, file);
    expect(readFileSync(file, 'utf8').split('\n')[1]).toBe(
      '{"seq":1,"tick":1,"actor":"u","cause":0,"kind":"command","type":"mmu.write","args":{"data":{"$bytes":"AQL6"}}}',
    );
    const back = importNdjson(file, () => new MemoryStore()).store;
    expect([...back.read(1)]).toEqual([...store.read(1)]);
  });

  it('names the file and line of a malformed one, keeping the records before it', () => {
    const file = path.join(dir, 'bad.ndjson');
    const good = '{"seq":1,"tick":1,"actor":"u","cause":0,"kind":"command","type":"t.x","args":{}}';
    const target = new MemoryStore();
    writeFileSync(
      file,
      `{"chronovisor":"run","format":2,"manifest":{}}\n${good}\n{"seq":3,"tick":1}\n`,
    );
    expect(() => importNdjson(file, () => target)).toThrow(
      new NdjsonError(`${file}:3: expected record seq 2, found 3`),
    );
    expect(target.head()).toBe(1);
    writeFileSync(file, `{"chronovisor":"run","format":2,"manifest":{}}\n{oops\n`);
    expect(() => importNdjson(file, () => new MemoryStore())).toThrow(`${file}:2: not JSON`);
    writeFileSync(file, `{"seq":1}\n`);
    expect(() => importNdjson(file, () => new MemoryStore())).toThrow(
      `${file}:1: expected the header {"chronovisor":"run",…}`,
    );
    writeFileSync(
      file,
      `{"chronovisor":"run","format":2,"manifest":{}}\n{"seq":1,"tick":1,"actor":"u","cause":0,"kind":"event","type":"t.x.y","data":{}}\n`,
    );
    expect(() => importNdjson(file, () => new MemoryStore())).toThrow(
      `${file}:2: record 1: an event needs an integer "v"`,
    );
    // Format 1 recorded calls as command records: refused, saying what to do.
    writeFileSync(file, `{"chronovisor":"run","format":1,"manifest":{}}\n`);
    expect(() => importNdjson(file, () => new MemoryStore())).toThrow(
      `${file}:1: format 1 is not one this version reads (2, 3, 4, 5): format 1 recorded calls as command records`,
    );
  });
});
