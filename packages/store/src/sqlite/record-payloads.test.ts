import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as mmu from '@chronovisor/mmu';
import { StoreError } from '@chronovisor/core';
import { replaceBytes } from '../ndjson/ndjson';
import { runWorkload } from '../test-support/workload';
import { tamper } from '../test-support/tamper';
import { registerRecordPayloads } from './record-payloads';
import { SqliteStore } from './sqlite-store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-payloads-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A run file of the mixed MMU workload (several batches), and its records as recorded. */
function recordRun(commands = 3000) {
  const file = path.join(dir, 'run.db');
  const store = SqliteStore.create(file);
  const sim = runWorkload(store, commands);
  sim.dispatch(mmu.map, { space: 99, va: 0, pages: 1 }); // refused: no such space
  sim.close();
  const records = [...store.read(1)];
  store.close();
  return { file, records };
}

describe('registerRecordPayloads', () => {
  it("gives SQL each record's payload as JSON: json_extract sees the addresses written", () => {
    const { file, records } = recordRun();
    const db = new Database(file, { readonly: true });
    const payloads = registerRecordPayloads(db);
    const written = db
      .prepare(
        `SELECT seq, json_extract(payload, '$.space') AS space, json_extract(payload, '$.va') AS va
         FROM records_json WHERE type = 'mmu.memory.written' ORDER BY seq`,
      )
      .all();
    expect(written.length).toBeGreaterThan(1000); // across batches
    expect(written).toEqual(
      records
        .filter((r) => r.kind === 'event' && r.type === 'mmu.memory.written')
        .map((r) => {
          const { space, va } = (r as { data: mmu.MemoryWritten }).data;
          return { seq: r.seq, space, va };
        }),
    );
    payloads.close();
    db.close();
  });

  it('writes bytes as an export does, a command its args, and NULL past the run', () => {
    const { file, records } = recordRun(1200);
    const db = new Database(file, { readonly: true });
    const payloads = registerRecordPayloads(db);
    const all = db.prepare('SELECT seq, kind, rejected, payload FROM records_json').all() as {
      seq: number;
      kind: string;
      rejected: number;
      payload: string;
    }[];
    expect(all.map((r) => r.payload)).toEqual(
      records.map((r) => JSON.stringify(r.kind === 'event' ? r.data : r.args, replaceBytes)),
    );
    const write = db
      .prepare(
        "SELECT json_extract(payload, '$.data') AS data FROM records_json WHERE type = 'mmu.write' LIMIT 1",
      )
      .get() as { data: string };
    expect(Object.keys(JSON.parse(write.data) as object)).toEqual(['$bytes']);
    expect(all.at(-1)).toMatchObject({ kind: 'command', rejected: 1 });
    const beyond = db
      .prepare('SELECT record_payload(?) AS a, record_payload(0) AS b, record_payload(?) AS c')
      .get(records.length + 1, 'x');
    expect(beyond).toEqual({ a: null, b: null, c: null });
    payloads.close();
    db.close();
  });

  it('refuses to read a payload from an altered batch, unless told not to verify', () => {
    const { file, records } = recordRun(1200);
    const write = records.find((r) => r.type === 'mmu.write')!;
    const { va } = (write as { args: { va: number } }).args;
    // The last byte of the command's args is that of its va (keys sorted: data, space, va).
    tamper(file, write.seq, (bytes, i) => {
      const copy = Buffer.from(bytes[i]!);
      copy[copy.length - 1]! ^= 0x01;
      return bytes.map((r, k) => (k === i ? copy : r));
    });
    const select = "SELECT json_extract(payload, '$.va') AS va FROM records_json WHERE seq = ?";
    const db = new Database(file, { readonly: true });
    const payloads = registerRecordPayloads(db);
    expect(() => db.prepare(select).get(write.seq)).toThrow(StoreError);
    // The columns that need no payload come from the batch index alone.
    expect(db.prepare('SELECT count(*) AS n FROM records_json').get()).toEqual({
      n: records.length,
    });
    payloads.close();
    db.close();
    const lax = new Database(file, { readonly: true });
    const unverified = registerRecordPayloads(lax, { verify: false });
    const altered = lax.prepare(select).get(write.seq) as { va: number };
    expect(altered.va).not.toBe(va); // read as it now stands
    expect(altered.va).toEqual(expect.any(Number));
    unverified.close();
    lax.close();
  });
});
