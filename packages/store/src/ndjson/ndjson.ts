import { ChronovisorError, type LogRecord, type StateDigest, type Store } from '@chronovisor/core';
import type { TreeHead } from '../audit/tree-head';
import { CHECKSUM_BYTES } from '../sqlite/batch-seal';
import { OLDER_FORMATS, OlderAudit } from './older-audit';
import { checkTreeHead } from '../audit/tree-head';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The NDJSON interchange format's version. 5: the checksums and heads are those of run format 10
 * (payload shapes); formats 4 and 3 carried format 9's and 8's, and are still read: their records
 * are checked against them, then batched afresh (a new root; their signatures, over the old
 * roots, stay behind). 4: those of run format 9 (batch names). 3:
 * where each batch of the audit tree ends (format 2, without them, is still read: its run is
 * batched afresh). 2: Plugin API 2's records (only commands from outside are command records).
 */
export const NDJSON_FORMAT = 5;
const READABLE_FORMATS = [2, 3, 4, 5];

/** A malformed NDJSON run: names the file, the line and what was expected. */
export class NdjsonError extends ChronovisorError {}

/*
 * A run as NDJSON: a header line, then one record per line in seq order, with each state digest
 * on its own line after the record it follows:
 *
 *   {"chronovisor":"run","format":1,"manifest":{…}}
 *   {"seq":1,"tick":1,"actor":"user","cause":0,"kind":"command","type":"mmu.map","args":{…}}
 *   {"digest":{"seq":1,"digest":"…","projections":{…}}}
 *   {"seal":1024,"checks":"<base64>"}
 *   {"head":{"size":1024,"batches":1,"root":"<hex>","signature":"<base64>"}}
 *   {"bookmark":{"name":"fork","seq":12,"note":"the child is born here"}}
 *
 * A seal line follows the last record of each batch of the run's audit tree (and its digests),
 * with the records' checksums as sealed; a head line follows the seal of each batch a tree head
 * ends with, with its signature (the header then holds the signer's `publicKey`). An imported run
 * is batched the same way, so it has the same Merkle root; its checksums and heads are checked
 * against the lines, so an altered export (or one of an altered run) is refused, naming the
 * record, and a signed run keeps its signatures.
 * Bytes (Uint8Array) are written as {"$bytes":"<base64>"}; a plain object with a "$bytes" key
 * would read back as bytes, so payloads should not use that key.
 */

/** `JSON.stringify`'s replacer that writes bytes (a Uint8Array) as `{"$bytes": "<base64>"}`. */
export const replaceBytes = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array
    ? { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
    : value;

/** `JSON.parse`'s reviver that reads `{"$bytes": "<base64>"}` back as bytes (a Uint8Array). */
export const reviveBytes = (_key: string, value: unknown): unknown => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const bytes = (value as { $bytes?: unknown }).$bytes;
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return new Uint8Array(Buffer.from(bytes, 'base64'));
  }
  return value;
};

/** A store whose records are sealed in batches (the audit tree's leaves), which an export keeps. */
export interface BatchedStore extends Store {
  /** The last seq of each batch, in order. */
  batchEnds(): number[];
  /** The records' checksums of the batch ending at `last`. */
  batchChecks(last: number): Uint8Array;
  treeHeads(): TreeHead[];
  /** The signer's public key (SPKI DER), if the run was signed. */
  publicKey(): Buffer | undefined;
  /** Keeps a signature of the head of `size` records, once it verifies over this store's root. */
  adoptSignature(size: number, signature: Buffer): void;
  /** Named points of the run, with notes. */
  bookmarks(): { name: string; seq: number; note: string }[];
  bookmark(name: string, seq: number, note?: string): void;
}

const isBatched = (store: Store): store is BatchedStore => 'batchEnds' in store;

/** Called as an export or import goes: how far it is, of how far it goes. */
export type NdjsonProgress = (done: number, total: number) => void;

/**
 * Writes a run as NDJSON to `path`; returns the number of records written. `onProgress` is given
 * the records written and the run's count of them, each time a chunk (1 MiB) is written.
 */
export function exportNdjson(
  store: Store,
  manifest: unknown,
  path: string,
  options: { onProgress?: NdjsonProgress } = {},
): number {
  const fd = openSync(path, 'w');
  try {
    const batched = isBatched(store) ? store : undefined;
    const publicKey = batched?.publicKey();
    let chunk = `${JSON.stringify({
      chronovisor: 'run',
      format: NDJSON_FORMAT,
      manifest,
      ...(publicKey ? { publicKey: publicKey.toString('base64') } : {}),
    })}\n`;
    const digests = [...store.digests()].sort((a, b) => a.seq - b.seq);
    const seals = batched?.batchEnds() ?? [];
    const heads = new Map((batched?.treeHeads() ?? []).map((h) => [h.size, h]));
    let next = 0;
    let nextSeal = 0;
    let records = 0;
    for (const record of store.read(1)) {
      chunk += `${JSON.stringify(record, replaceBytes)}\n`;
      while (next < digests.length && digests[next]!.seq === record.seq)
        chunk += `${JSON.stringify({ digest: digests[next++] })}\n`;
      if (seals[nextSeal] === record.seq) {
        const checks = Buffer.from(batched!.batchChecks(record.seq)).toString('base64');
        chunk += `${JSON.stringify({ seal: seals[nextSeal++], checks })}\n`;
        const head = heads.get(record.seq);
        if (head) chunk += `${JSON.stringify({ head: headLine(head) })}\n`;
      }
      records++;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
        options.onProgress?.(records, store.head());
      }
    }
    for (const b of batched?.bookmarks() ?? []) chunk += `${JSON.stringify({ bookmark: b })}\n`;
    writeSync(fd, chunk);
    options.onProgress?.(records, store.head());
    return records;
  } finally {
    closeSync(fd);
  }
}

const headLine = (h: TreeHead) => ({
  size: h.size,
  batches: h.batches,
  root: h.root.toString('hex'),
  ...(h.signature ? { signature: h.signature.toString('base64') } : {}),
});

/** What an NDJSON run's header says, for the store `importNdjson` makes. */
export interface NdjsonHeader {
  readonly manifest: unknown;
  /** The signer's public key (SPKI DER) of a signed run. */
  readonly publicKey?: Buffer;
}

/**
 * Reads an NDJSON run into the store `open` makes from its header; returns the manifest and the
 * number of records. A malformed line fails with the file and line number, having appended the
 * records before it; so do records that no longer match the checksums and heads the export
 * carries (a batched store checks them), naming the record. `onProgress` is given the bytes read
 * and the file's size, each time a chunk (1 MiB) is read.
 */
export function importNdjson(
  path: string,
  open: (header: NdjsonHeader) => Store,
  options: { onProgress?: NdjsonProgress } = {},
): { manifest: unknown; records: number; store: Store; notes: string[] } {
  let store: Store | undefined;
  let manifest: unknown;
  let records = 0;
  let pending: LogRecord[] = [];
  /** An export of an older format carries its run format's audit: its records are checked against that. */
  let older: OlderAudit | undefined;
  /** The signer of an older export, whose signatures are checked against its format's heads. */
  let signer: KeyObject | undefined;
  let signaturesLeft = 0;
  let olderFormat = 0;
  const flush = () => {
    if (pending.length > 0) store!.append(pending);
    pending = [];
  };
  try {
    for (const [line, text] of readLines(path, options.onProgress)) readLine(line, text);
  } catch (error) {
    if (store !== undefined) flush(); // keep what was read before the bad line
    throw error;
  }
  if (store === undefined) throw new NdjsonError(`${path}: empty, not even a header line`);
  flush();
  const notes = older
    ? [
        `${path} was exported by the version before ${older.format.before} (format ${olderFormat}): its records were checked against the checksums and heads it carries, then batched anew, so its tree head is new` +
          (signaturesLeft > 0
            ? `; ${signaturesLeft} signatures over its old heads were left behind (sign the new run's heads with --key)`
            : ''),
      ]
    : [];
  return { manifest, records, store, notes };

  function readLine(line: number, text: string): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text, reviveBytes);
    } catch (error) {
      throw new NdjsonError(`${path}:${line}: not JSON (${(error as Error).message})`);
    }
    if (store === undefined) {
      const header = value as {
        chronovisor?: unknown;
        format?: unknown;
        manifest?: unknown;
        publicKey?: unknown;
      };
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
      const publicKey =
        typeof header.publicKey === 'string' ? Buffer.from(header.publicKey, 'base64') : undefined;
      const format = OLDER_FORMATS[header.format as number];
      if (format) {
        // Its signatures sign its run format's heads: checked against them, they stay behind,
        // and so does the key (the new run's heads are unsigned until someone signs them).
        older = new OlderAudit(format);
        olderFormat = header.format as number;
        signer = publicKey && createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
        store = open({ manifest });
      } else store = open({ manifest, ...(publicKey ? { publicKey } : {}) });
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
      const carried = (value as { checks?: unknown }).checks;
      const own = older ? older.seal() : isBatched(store) ? store.batchChecks(records) : null;
      if (typeof carried === 'string' && own)
        checkSeal(own, records, Buffer.from(carried, 'base64'), path, line);
      return;
    }
    if (value !== null && typeof value === 'object' && 'bookmark' in value) {
      const b = value.bookmark as { name?: unknown; seq?: unknown; note?: unknown };
      if (typeof b?.name !== 'string' || !Number.isSafeInteger(b.seq))
        throw new NdjsonError(
          `${path}:${line}: a bookmark line needs {"bookmark":{"name":"…","seq":<integer>}}`,
        );
      flush();
      if (isBatched(store))
        store.bookmark(b.name, b.seq as number, typeof b.note === 'string' ? b.note : '');
      return;
    }
    if (value !== null && typeof value === 'object' && 'head' in value) {
      if (older) {
        if (checkOlderHead(older, value.head, signer, path, line)) signaturesLeft++;
      } else if (isBatched(store)) checkHead(store, value.head, path, line);
      return;
    }
    const record = checkRecord(value, records + 1, path, line);
    older?.append(record);
    pending.push(record);
    records++;
    if (pending.length >= 1024) flush();
  }
}

/** The batch just sealed holds the records the export sealed: else the first that differs is named. */
function checkSeal(
  checks: Uint8Array,
  last: number,
  carried: Buffer,
  path: string,
  line: number,
): void {
  const own = Buffer.from(checks);
  if (own.equals(carried)) return;
  const count = own.length / CHECKSUM_BYTES;
  let at = 0; // the first byte that differs names its record
  while (at < own.length && own[at] === carried[at]) at++;
  const i = Math.min(Math.floor(at / CHECKSUM_BYTES), count - 1);
  throw new NdjsonError(
    `${path}:${line}: record ${last - count + 1 + i} does not match the checksum the export carries for it: the run was altered, before or after its export`,
  );
}

/** A head line's size and root, checked for shape. */
function headOf(
  value: unknown,
  path: string,
  line: number,
): { size: number; root: string; signature?: unknown } {
  const h = value as { size?: unknown; root?: unknown; signature?: unknown };
  if (!Number.isSafeInteger(h?.size) || typeof h.root !== 'string')
    throw new NdjsonError(
      `${path}:${line}: a head line needs {"head":{"size":<integer>,"root":"<hex>"}}`,
    );
  return h as { size: number; root: string; signature?: unknown };
}

const alteredHead = (path: string, line: number, size: number) =>
  new NdjsonError(
    `${path}:${line}: the records up to ${size} do not give the head the export carries: the run was altered, before or after its export`,
  );

/**
 * The older format's head of the records so far is the one the export carries, and its
 * signature, if it has one, is the signer's; true if it was signed.
 */
function checkOlderHead(
  audit: OlderAudit,
  value: unknown,
  signer: KeyObject | undefined,
  path: string,
  line: number,
): boolean {
  const h = headOf(value, path, line);
  const root = audit.root();
  if (audit.size !== h.size || root.toString('hex') !== h.root)
    throw alteredHead(path, line, h.size);
  if (typeof h.signature !== 'string') return false;
  if (!signer || !checkTreeHead(h.size, root, Buffer.from(h.signature, 'base64'), signer))
    throw new NdjsonError(
      `${path}:${line}: the signature of the head at ${h.size} is not the signer's (${signer ? 'the header names another key' : 'the header names no key'})`,
    );
  return true;
}

/** The store's head of these records is the one the export carries, and keeps its signature. */
function checkHead(store: BatchedStore, value: unknown, path: string, line: number): void {
  const h = headOf(value, path, line);
  const own = store.treeHeads().find((head) => head.size === h.size);
  if (!own || own.root.toString('hex') !== h.root) throw alteredHead(path, line, h.size);
  if (typeof h.signature === 'string') {
    try {
      store.adoptSignature(own.size, Buffer.from(h.signature, 'base64'));
    } catch (error) {
      throw new NdjsonError(`${path}:${line}: ${(error as Error).message}`);
    }
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

/**
 * The lines of a file with their numbers (from 1), read in chunks so that size does not matter;
 * `onChunk` is given the bytes read so far and the file's size, as each chunk is read.
 */
function* readLines(path: string, onChunk?: NdjsonProgress): Generator<[number, string]> {
  const fd = openSync(path, 'r');
  try {
    const size = onChunk ? fstatSync(fd).size : 0;
    const buffer = Buffer.alloc(1 << 20);
    let carry = '';
    let line = 0;
    let read = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      read += n;
      onChunk?.(read, size);
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
