import { ChronovisorError, type LogRecord, type StateDigest, type Store } from '@chronovisor/core';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The NDJSON interchange format's version. 3: where each batch of the audit tree ends (format 2,
 * without them, is still read: its run is batched afresh). 2: Plugin API 2's records (only
 * commands from outside are command records).
 */
export const NDJSON_FORMAT = 3;
const READABLE_FORMATS = [2, 3];

/** A malformed NDJSON run: names the file, the line and what was expected. */
export class NdjsonError extends ChronovisorError {}

/*
 * A run as NDJSON: a header line, then one record per line in seq order, with each state digest
 * on its own line after the record it follows:
 *
 *   {"chronovisor":"run","format":1,"manifest":{…}}
 *   {"seq":1,"tick":1,"actor":"user","cause":0,"kind":"command","type":"mmu.map","args":{…}}
 *   {"digest":{"seq":1,"digest":"…","projections":{…}}}
 *   {"seal":1024}
 *
 * A seal line follows the last record of each batch of the run's audit tree (and its digests):
 * an imported run is batched the same way, so it has the same Merkle root.
 * Bytes (Uint8Array) are written as {"$bytes":"<base64>"}; a plain object with a "$bytes" key
 * would read back as bytes, so payloads should not use that key.
 */

const replacer = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array
    ? { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
    : value;

const reviver = (_key: string, value: unknown): unknown => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const bytes = (value as { $bytes?: unknown }).$bytes;
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return new Uint8Array(Buffer.from(bytes, 'base64'));
  }
  return value;
};

/** A store whose records are sealed in batches (the audit tree's leaves), which an export keeps. */
interface BatchedStore extends Store {
  /** The last seq of each batch, in order. */
  batchEnds(): number[];
}

/** Writes a run as NDJSON to `path`; returns the number of records written. */
export function exportNdjson(store: Store | BatchedStore, manifest: unknown, path: string): number {
  const fd = openSync(path, 'w');
  try {
    let chunk = `${JSON.stringify({ chronovisor: 'run', format: NDJSON_FORMAT, manifest })}\n`;
    const digests = [...store.digests()].sort((a, b) => a.seq - b.seq);
    const seals = 'batchEnds' in store ? store.batchEnds() : [];
    let next = 0;
    let nextSeal = 0;
    let records = 0;
    for (const record of store.read(1)) {
      chunk += `${JSON.stringify(record, replacer)}\n`;
      while (next < digests.length && digests[next]!.seq === record.seq)
        chunk += `${JSON.stringify({ digest: digests[next++] })}\n`;
      if (seals[nextSeal] === record.seq)
        chunk += `${JSON.stringify({ seal: seals[nextSeal++] })}\n`;
      records++;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    return records;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an NDJSON run into the store `open` makes from its manifest; returns the manifest and
 * the number of records. A malformed line fails with the file and line number, having appended
 * the records before it.
 */
export function importNdjson(
  path: string,
  open: (manifest: unknown) => Store,
): { manifest: unknown; records: number; store: Store } {
  let store: Store | undefined;
  let manifest: unknown;
  let records = 0;
  let pending: LogRecord[] = [];
  const flush = () => {
    if (pending.length > 0) store!.append(pending);
    pending = [];
  };
  try {
    for (const [line, text] of readLines(path)) readLine(line, text);
  } catch (error) {
    if (store !== undefined) flush(); // keep what was read before the bad line
    throw error;
  }
  if (store === undefined) throw new NdjsonError(`${path}: empty, not even a header line`);
  flush();
  return { manifest, records, store };

  function readLine(line: number, text: string): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text, reviver);
    } catch (error) {
      throw new NdjsonError(`${path}:${line}: not JSON (${(error as Error).message})`);
    }
    if (store === undefined) {
      const header = value as { chronovisor?: unknown; format?: unknown; manifest?: unknown };
      if (header?.chronovisor !== 'run')
        throw new NdjsonError(`${path}:${line}: expected the header {"chronovisor":"run",…}`);
      if (!READABLE_FORMATS.includes(header.format as number))
        throw new NdjsonError(
          `${path}:${line}: format ${String(header.format)} is not one this version reads (${READABLE_FORMATS.join(', ')})` +
            (header.format === 1
              ? ': format 1 recorded calls as command records; export the run again with this version from a run recorded by it'
              : ''),
        );
      manifest = header.manifest;
      store = open(manifest);
      return;
    }
    if (value !== null && typeof value === 'object' && 'digest' in value) {
      flush();
      store.appendDigest(checkDigest(value.digest, path, line));
      return;
    }
    if (value !== null && typeof value === 'object' && 'seal' in value) {
      if (value.seal !== records)
        throw new NdjsonError(
          `${path}:${line}: a seal after record ${records} names record ${JSON.stringify(value.seal)}`,
        );
      flush();
      store.flush(); // the batch ends here, as it did in the run exported
      return;
    }
    pending.push(checkRecord(value, records + 1, path, line));
    records++;
    if (pending.length >= 1024) flush();
  }
}

function checkRecord(value: unknown, seq: number, path: string, line: number): LogRecord {
  const r = value as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new NdjsonError(`${path}:${line}: ${what}`);
  };
  if (r === null || typeof r !== 'object') fail('expected a record object');
  if (r.seq !== seq) fail(`expected record seq ${seq}, found ${JSON.stringify(r.seq)}`);
  for (const field of ['tick', 'cause'] as const)
    if (!Number.isSafeInteger(r[field])) fail(`record ${seq}: "${field}" must be an integer`);
  for (const field of ['actor', 'type'] as const)
    if (typeof r[field] !== 'string') fail(`record ${seq}: "${field}" must be a string`);
  if (r.kind === 'event') {
    if (!Number.isSafeInteger(r.v)) fail(`record ${seq}: an event needs an integer "v"`);
    if (!('data' in r)) fail(`record ${seq}: an event needs "data"`);
  } else if (r.kind === 'command') {
    if (!('args' in r)) fail(`record ${seq}: a command needs "args"`);
  } else fail(`record ${seq}: "kind" must be "command" or "event"`);
  return r as unknown as LogRecord;
}

function checkDigest(value: unknown, path: string, line: number): StateDigest {
  const d = value as Record<string, unknown>;
  if (
    d === null ||
    typeof d !== 'object' ||
    !Number.isSafeInteger(d.seq) ||
    typeof d.digest !== 'string'
  ) {
    throw new NdjsonError(
      `${path}:${line}: a digest line needs {"digest":{"seq":<integer>,"digest":"<hex>"}}`,
    );
  }
  return d as unknown as StateDigest;
}

/** The lines of a file with their numbers (from 1), read in chunks so that size does not matter. */
function* readLines(path: string): Generator<[number, string]> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    let carry = '';
    let line = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      const text = carry + buffer.toString('utf8', 0, n);
      const parts = text.split('\n');
      carry = parts.pop()!;
      for (const part of parts) yield [++line, part];
    }
    if (carry !== '') yield [++line, carry];
  } finally {
    closeSync(fd);
  }
}
