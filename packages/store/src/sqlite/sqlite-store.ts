import {
  StoreError,
  type EventRecord,
  type LogRecord,
  type StateDigest,
  type Store,
} from '@chronovisor/core';
import Database from 'better-sqlite3';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { ByteReader } from '../codec/byte-reader';
import { BatchFront } from '../codec/batch-front';
import { readBatchHeader } from '../codec/batch-header';
import { batchLeaf, framesOf, inflateBatch, type Frames } from '../codec/batch-format';
import { batchRecords, corruptAt, type StoredBatch } from '../codec/batch-records';
import { recordType } from '../codec/record-head';
import { checkTreeHead, type TreeHead } from '../audit/tree-head';
import type { Hash } from '../merkle/hashes';
import { MerkleTree } from '../merkle/merkle-tree';
import { BatchSealer, SEALING_AHEAD } from './batch-sealer';
import type { ConsistencyProof, RecordProof } from '../audit/proofs';
import type { RecordKind } from './record-index';
import { ReadAhead } from './read-ahead';
import { SnapshotShelf } from './snapshot-shelf';
import { FORMAT, FORMAT_HISTORY, SCHEMA } from './schema';

/** How to create a run file. */
export interface CreateOptions {
  /** The run's manifest: plugin set with versions, config, seed, created-by. */
  readonly manifest?: unknown;
  /** An Ed25519 private key: each tree head is then signed, and the public key kept in the file. */
  readonly signingKey?: KeyObject;
  /**
   * The signer's public key (SPKI DER) of a run copied from another file (an import), whose heads
   * keep their signatures (see `adoptSignature`).
   */
  readonly publicKey?: Buffer;
}

/** Refuses a run path that does not exist or is a directory, naming it. */
export function checkRunPath(path: string): void {
  if (!existsSync(path)) throw new StoreError(`${path} does not exist`);
  if (statSync(path).isDirectory()) throw new StoreError(`${path} is a directory, not a run file`);
}

const HEAD_COLUMNS = 'size, batches, root, signature';
type HeadRow = { size: number; batches: number; root: Buffer; signature: Buffer | null };
const headOf = ({ size, batches, root, signature }: HeadRow): TreeHead =>
  signature ? { size, batches, root, signature } : { size, batches, root };

/** How a run file was found when opened. */
export interface RunStatus {
  /** False when the process that wrote it died before closing it (it then holds every batch committed before). */
  readonly closedCleanly: boolean;
  readonly records: number;
}

/**
 * The embedded default store: one SQLite file per run (WAL mode), records encoded canonically as
 * they are appended and stored 1,024 to a row as one compressed blob, so recording costs one
 * insert per batch, not per record. Each batch is one leaf of the run's audit tree. What the
 * process had committed survives a kill at any instant: a batch still filling is held in memory
 * until it fills or `flush()` seals it (short). A `records` view gives one row per record, so a
 * run can be queried with the stock `sqlite3` shell.
 */

/** Scans of at least this many batches have them read ahead on another thread. */
const READ_AHEAD_BATCHES = 16;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** The head, the batch filling and the digests waiting for it. */
  private readonly front: BatchFront;
  /** Batches handed to the sealer and not yet committed, oldest first. */
  private readonly sealing: { first: number; count: number }[] = [];
  private sealer?: BatchSealer;
  private closed = false;
  readonly status: RunStatus;

  private readonly selectBatch: Database.Statement;
  private signingKey?: KeyObject;
  /** Whether each batch read is checked against its leaf (see `open`). */
  private verifyReads = true;

  private constructor(
    readonly path: string,
    db: Database.Database,
    readonly readonly: boolean,
  ) {
    this.db = db;
    this.selectBatch = db.prepare(
      'SELECT first_seq, count, bytes, leaf FROM batches WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1',
    );
    const lastBatch = db
      .prepare('SELECT first_seq, count FROM batches ORDER BY first_seq DESC LIMIT 1')
      .get() as { first_seq: number; count: number } | undefined;
    const last = lastBatch ? lastBatch.first_seq + lastBatch.count - 1 : 0;
    const digestRows = db
      .prepare('SELECT seq, digest, projections FROM digests ORDER BY seq')
      .all() as {
      seq: number;
      digest: string;
      projections: string | null;
    }[];
    this.front = new BatchFront(
      last,
      digestRows.map(({ seq, digest, projections }) =>
        projections
          ? { seq, digest, projections: JSON.parse(projections) as Record<string, string> }
          : { seq, digest },
      ),
    );
    const open = db.prepare("SELECT value FROM meta WHERE key = 'open'").get() as
      { value: string } | undefined;
    this.status = { closedCleanly: open?.value !== '1', records: last };
    if (!readonly) this.setMeta('open', '1');
  }

  /** Creates a new run file; refuses to overwrite one. */
  static create(path: string, options: CreateOptions = {}): SqliteStore {
    if (existsSync(path))
      throw new StoreError(`${path} already exists; choose another file or remove it first`);
    const db = new Database(path);
    // Small pages: a batch's blob ends in a partly filled overflow page, and at the default 4 KiB
    // that half-empty page cost ~1 byte a record (2 KiB: 23 bytes a record in all, 4 KiB: 24).
    db.pragma('page_size = 2048');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insert.run('format', String(FORMAT));
    insert.run('manifest', JSON.stringify(options.manifest ?? {}));
    const publicKey = options.signingKey
      ? createPublicKey(options.signingKey).export({ type: 'spki', format: 'der' })
      : options.publicKey;
    if (publicKey) insert.run('public_key', publicKey.toString('base64'));
    // The sealing thread loads while the caller builds its simulation, not while the first
    // batches wait for it.
    BatchSealer.warm();
    const store = new SqliteStore(path, db, false);
    if (options.signingKey) store.signingKey = options.signingKey;
    return store;
  }

  /**
   * Opens an existing run file, to read it or (unless `readonly`) to go on recording into it;
   * give a signed run's key to keep signing its heads.
   */
  static open(
    path: string,
    options: {
      readonly?: boolean;
      signingKey?: KeyObject;
      /**
       * Check each batch read against its leaf, refusing one that no longer matches (on by
       * default: an altered run is not read as if it were whole); false reads it anyway.
       */
      verify?: boolean;
    } = {},
  ): SqliteStore {
    checkRunPath(path);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: true });
      const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as
        { value: string } | undefined;
      if (!format) throw new Error('it has no format version');
      if (Number(format.value) !== FORMAT) {
        const older = FORMAT_HISTORY[Number(format.value)];
        throw new StoreError(
          `${path} is a Chronovisor run of format ${format.value}; this version reads format ${FORMAT}` +
            (older
              ? ` (format ${format.value} was written by ${older.by}): ${older.convert}`
              : Number(format.value) > FORMAT
                ? ': read it with a newer version of Chronovisor'
                : ': read it with the version of Chronovisor that wrote it'),
        );
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`${path} is not a Chronovisor run: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!options.readonly) db.pragma('journal_mode = WAL');
    // A run is opened to be read, often whole (replay, verify, a first seek): the thread that
    // reads ahead starts now, while the caller builds its plugin set.
    ReadAhead.warm();
    const store = new SqliteStore(path, db, options.readonly ?? false);
    if (options.signingKey) store.signingKey = options.signingKey;
    if (options.verify === false) store.verifyReads = false;
    return store;
  }

  /** The manifest the run was created with. */
  manifest(): unknown {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'manifest'").get() as {
      value: string;
    };
    return JSON.parse(row.value) as unknown;
  }

  append(records: readonly LogRecord[]): void {
    this.assertWritable();
    this.front.append(records, () => {
      this.seal();
      // Up to 16 batches sealing on the other thread while this one fills the next, so that
      // this thread waits on that one only when it falls behind, not on its hiccups (a slow
      // commit, a checkpoint of the log, a core taken away: with 3, ~20% of recording here).
      while (this.sealing.length > SEALING_AHEAD) this.commitOldest();
    });
  }

  head(): number {
    return this.front.head;
  }

  read(from: number, to = this.front.head): Iterable<LogRecord> {
    return this.scan(from, to, false);
  }

  /** The events among records `from` to `to`: commands are skipped without being decoded. */
  readEvents(from: number, to = this.front.head): Iterable<EventRecord> {
    return this.scan(from, to, true) as Iterable<EventRecord>;
  }

  private *scan(from: number, to: number, eventsOnly: boolean): Iterable<LogRecord> {
    const end = Math.min(to, this.front.head);
    for (const stored of this.storedBatches(from, end)) {
      for (const record of this.recordsOf(stored, eventsOnly)) {
        if (record.seq < from) continue;
        if (record.seq > end) return;
        yield record;
      }
    }
  }

  /**
   * The types of records `from` to `to`, a batch at a time (`types[i]` is seq `first + i`'s, from
   * `from` on), read from the records' heads without decoding their payloads: what a view of a
   * whole run (the web page's timeline) needs, several times faster than reading it.
   */
  *outline(from: number, to = this.front.head): Iterable<{ first: number; types: string[] }> {
    const end = Math.min(to, this.front.head);
    for (const stored of this.storedBatches(from, end)) {
      const { first, count, batch } = stored;
      const frames = this.framesChecked(stored);
      const reader = new ByteReader(batch);
      const header = readBatchHeader(reader, first);
      const start = Math.max(from, first);
      const stop = Math.min(end, first + count - 1);
      const types: string[] = [];
      let seq = start;
      try {
        for (; seq <= stop; seq++) {
          const i = seq - first;
          types.push(recordType(reader.moveTo(frames.starts[i]!, frames.ends[i]!), header));
        }
      } catch (error) {
        throw this.corruptAt(stored, seq, error);
      }
      yield { first: start, types };
    }
  }

  /**
   * The stored batches holding seqs `from` to `end`, in order, checked against their hashes, and
   * then the batch still filling, not yet in the file, if it holds any of them.
   */
  private *storedBatches(from: number, end: number): Iterable<StoredBatch> {
    if (from < 1) throw new StoreError(`Cannot read from seq ${from}: seqs start at 1`);
    this.commitSealing();
    const starting = this.selectBatch.get(from) as { first_seq: number } | undefined;
    const rows = this.db
      .prepare(
        'SELECT first_seq FROM batches WHERE first_seq >= ? AND first_seq <= ? ORDER BY first_seq',
      )
      .all(starting?.first_seq ?? from, end) as { first_seq: number }[];
    // A long scan (a replay, a seek far ahead) has its batches read, inflated and checked on
    // another thread while this one decodes and folds: about half of reading a record.
    const ahead =
      rows.length >= READ_AHEAD_BATCHES
        ? ReadAhead.start(this.path, rows[0]!.first_seq, rows.at(-1)!.first_seq, this.verifyReads)
        : undefined;
    try {
      for (const { first_seq } of rows) {
        if (ahead?.started) yield this.readAhead(ahead, first_seq);
        else {
          ahead?.readHere();
          yield this.storedBatch(first_seq);
        }
      }
    } finally {
      ahead?.close();
    }
    const filling = this.front.fillingBatch(from, end);
    if (filling) yield filling;
  }

  appendDigest(digest: StateDigest): void {
    this.assertWritable();
    this.front.appendDigest(digest);
  }

  digests(): readonly StateDigest[] {
    return this.front.allDigests;
  }

  /** Seals the batch still filling (short) and commits it, so everything appended survives a crash. */
  flush(): void {
    if (this.readonly || this.closed) return;
    if (this.front.filling > 0) this.seal();
    else {
      // Digests of records whose batches went before them.
      const digests = this.front.takeDigests();
      if (digests.length > 0) {
        this.sealerOf().submitDigests(digests);
        this.sealing.push({ first: 0, count: 0 });
      }
    }
    this.commitSealing();
  }

  /** Flushes, marks the run closed cleanly, and checkpoints the write-ahead log into the file. */
  close(): void {
    if (this.closed) return;
    if (!this.readonly) {
      this.flush();
      // The sealing thread's connection closes first: the log is checkpointed into the file below.
      this.sealer?.close();
      this.setMeta('open', '0');
      // Into the .db itself, even while another connection (a reader) keeps the log open: the
      // .db file alone is then the whole run, to copy or send.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      // And out of WAL mode where nobody else has the run open, so that no -wal or -shm file is
      // left beside it, not even by the readers that open it next (writers set WAL again).
      try {
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // Another connection has it open: the log, checkpointed, stays to it.
      }
    }
    this.closed = true;
    this.db.close();
  }

  /**
   * Hands the batch filling to the sealer, with the digests it brings (hashes, checksums, index,
   * deflate and the commit: on another thread).
   */
  private seal(): void {
    const { batch, first, count, digests } = this.front.take();
    this.sealerOf().submit(batch, first, digests);
    this.sealing.push({ first, count });
  }

  private sealerOf(): BatchSealer {
    return (this.sealer ??= new BatchSealer(this.kinds(), {
      path: this.path,
      db: this.db,
      ...(this.signingKey ? { signingKey: this.signingKey } : {}),
    }));
  }

  /** Commits the batches still being sealed. */
  private commitSealing(): void {
    while (this.sealing.length > 0) this.commitOldest();
  }

  /** Waits until the oldest batch handed to the sealer is committed. */
  private commitOldest(): void {
    this.sealing.shift();
    this.sealer!.settle();
  }

  private kinds(): RecordKind[] {
    return this.db
      .prepare('SELECT id, kind, rejected, type, actor FROM record_kinds ORDER BY id')
      .all() as RecordKind[];
  }

  /** The stored batch holding `seq`, its bytes inflated (and checked against its leaf). */
  private storedBatch(seq: number): StoredBatch {
    const row = this.selectBatch.get(seq) as
      { first_seq: number; count: number; bytes: Buffer; leaf: Buffer } | undefined;
    if (!row || row.first_seq + row.count <= seq)
      throw new StoreError(`${this.path}: the batch holding seq ${seq} is missing`);
    const { first_seq: first, count } = row;
    let batch: Buffer;
    try {
      batch = inflateBatch(row.bytes);
    } catch (error) {
      throw this.unreadable(first, count, (error as Error).message, error);
    }
    // One SHA-256 over the batch (~20 ns a record): an altered run is never read as if whole.
    if (this.verifyReads && !batchLeaf(first, count, batch).equals(row.leaf))
      throw this.altered(first, count);
    return { first, count, batch };
  }

  /** The batch starting at `first`, as the reading thread hands it over. */
  private readAhead(ahead: ReadAhead, first: number): StoredBatch {
    const read = ahead.next(first);
    if (!read || read.first !== first)
      throw new StoreError(
        `${this.path}: the batch reading thread gave ${read ? `the batch of seq ${read.first}` : 'nothing'} where the batch of seq ${first} belongs`,
      );
    if ('problem' in read)
      throw read.problem === 'altered'
        ? this.altered(read.first, read.count)
        : this.unreadable(read.first, read.count, read.detail);
    return {
      first,
      count: read.count,
      batch: Buffer.from(read.batch.buffer, read.batch.byteOffset, read.batch.byteLength),
    };
  }

  private unreadable(first: number, count: number, detail: string, cause?: unknown): StoreError {
    return new StoreError(
      `${this.path}: the batch of seqs ${first} to ${first + count - 1} is corrupt (it does not decompress: ${detail})`,
      { cause },
    );
  }

  private altered(first: number, count: number): StoreError {
    return new StoreError(
      `${this.path}: the batch of seqs ${first} to ${first + count - 1} no longer matches its hash: the run was altered (chronovisor verify ${this.path} names the record); --no-verify reads it anyway`,
    );
  }

  /**
   * The records of a stored batch (or only its events: commands are skipped by their frame, not
   * decoded), checked: a corrupt batch names its seqs.
   */
  private recordsOf(stored: StoredBatch, eventsOnly = false): LogRecord[] {
    return batchRecords(stored, this.where(stored), eventsOnly);
  }

  private where({ first, count }: StoredBatch): string {
    return `${this.path}: the batch of seqs ${first} to ${first + count - 1}`;
  }

  /** A stored batch's frames, checked to hold as many records as the file says it does. */
  private framesChecked(stored: StoredBatch): Frames {
    let frames;
    try {
      frames = framesOf(stored.batch);
    } catch (error) {
      throw new StoreError(`${this.where(stored)} is corrupt: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (frames.count !== stored.count)
      throw new StoreError(
        `${this.where(stored)} is corrupt: it holds ${frames.count} records, not ${stored.count}`,
      );
    return frames;
  }

  /** A decoding error at seq's record, named by its seq (other errors pass unchanged). */
  private corruptAt(stored: StoredBatch, seq: number, error: unknown): unknown {
    return corruptAt(this.where(stored), seq, error);
  }

  /** The framed bytes of the batch holding `seq`, with its place in the run. */
  batchOf(seq: number): { index: number; first: number; count: number; batch: Buffer } {
    const { first, count, batch } = this.storedBatch(seq);
    const { n: index } = this.db
      .prepare('SELECT count(*) AS n FROM batches WHERE first_seq < ?')
      .get(first) as { n: number };
    return { index, first, count, batch };
  }

  // ---- bookmarks ---------------------------------------------------------------------------

  /** Names a point of the run, with a note; a bookmark of the same name is replaced. */
  bookmark(name: string, seq: number, note = ''): void {
    this.assertWritable();
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.front.head) {
      throw new StoreError(
        `Cannot bookmark seq ${seq}: the run holds records 1 to ${this.front.head}`,
      );
    }
    this.db
      .prepare('INSERT OR REPLACE INTO bookmarks (name, seq, note) VALUES (?, ?, ?)')
      .run(name, seq, note);
  }

  /** The run's bookmarks, by seq. */
  bookmarks(): { name: string; seq: number; note: string }[] {
    return this.db.prepare('SELECT name, seq, note FROM bookmarks ORDER BY seq, name').all() as {
      name: string;
      seq: number;
      note: string;
    }[];
  }

  // ---- kept snapshots ----------------------------------------------------------------------

  /** The snapshots of the run's state kept in its file, for time travel (see `chronovisor index`). */
  get snapshots(): SnapshotShelf {
    return new SnapshotShelf(this.db, this.path, this.readonly);
  }

  // ---- the audit tree ----------------------------------------------------------------------

  /** The tree heads committed so far, oldest first. */
  treeHeads(): TreeHead[] {
    return (
      this.db.prepare(`SELECT ${HEAD_COLUMNS} FROM heads ORDER BY size`).all() as HeadRow[]
    ).map(headOf);
  }

  /** The tree head covering exactly the first `size` records (the last one by default). */
  treeHead(size = this.committed()): TreeHead {
    const row = this.db.prepare(`SELECT ${HEAD_COLUMNS} FROM heads WHERE size = ?`).get(size) as
      HeadRow | undefined;
    if (!row)
      throw new StoreError(
        `No tree head covers exactly the first ${size} records: heads end where batches end (${this.committed()} records are committed)`,
      );
    return headOf(row);
  }

  /** The Merkle root of the batches holding the first `size` records, recomputed from their leaves. */
  treeRoot(size = this.committed()): Hash {
    return this.tree(this.treeHead(size).batches).root();
  }

  /** Proves record `seq` is in the run as the head of `size` records committed it. */
  recordProof(seq: number, size = this.committed()): RecordProof {
    const head = this.treeHead(size);
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > size)
      throw new StoreError(`Cannot prove seq ${seq}: the head covers records 1 to ${size}`);
    const { index, first, count, batch } = this.batchOf(seq);
    return {
      seq,
      batch: { index, first, count, bytes: batch },
      path: this.tree(head.batches).inclusionProof(index),
      head: { size: head.size, batches: head.batches, root: head.root },
    };
  }

  /** Proves the head of `second` records extends the one of `first` without rewriting it. */
  consistencyProof(first: number, second = this.committed()): ConsistencyProof {
    const from = this.treeHead(first);
    const to = this.treeHead(second);
    return {
      from: { size: from.size, batches: from.batches, root: from.root },
      to: { size: to.size, batches: to.batches, root: to.root },
      path: from.batches === to.batches ? [] : this.tree(to.batches).consistencyProof(from.batches),
    };
  }

  /** The signer's public key (SPKI DER), if the run was signed. */
  publicKey(): Buffer | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'public_key'").get() as
      { value: string } | undefined;
    return row ? Buffer.from(row.value, 'base64') : undefined;
  }

  /** The records' checksums of the stored batch ending at seq `last`, as sealed. */
  batchChecks(last: number): Buffer {
    const row = this.db
      .prepare('SELECT checks FROM batches WHERE first_seq + count - 1 = ?')
      .get(last) as { checks: Buffer } | undefined;
    if (!row) throw new StoreError(`${this.path}: no batch ends at seq ${last}`);
    return row.checks;
  }

  /**
   * Keeps another file's signature of the head of `size` records (an import of a signed run),
   * once it is checked: against the run's public key, over this file's own root of those records.
   */
  adoptSignature(size: number, signature: Buffer): void {
    this.assertWritable();
    this.commitSealing();
    const head = this.treeHead(size);
    const publicKey = this.publicKey();
    const key = publicKey && createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
    if (!key || !checkTreeHead(size, head.root, signature, key))
      throw new StoreError(
        `The signature of the head of ${size} records does not verify for this run's records${key ? '' : ' (it has no public key)'}`,
      );
    this.db.prepare('UPDATE heads SET signature = ? WHERE size = ?').run(signature, size);
  }

  /** The types of record the run holds (committed), each once. */
  recordTypes(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT type FROM record_kinds ORDER BY type').all() as {
        type: string;
      }[]
    ).map((r) => r.type);
  }

  /** The last seq of each stored batch, in order: where the audit tree's leaves end. */
  batchEnds(): number[] {
    return (
      this.db
        .prepare('SELECT first_seq + count - 1 AS last FROM batches ORDER BY first_seq')
        .all() as {
        last: number;
      }[]
    ).map((r) => r.last);
  }

  /** Records covered by the last tree head. */
  committed(): number {
    const row = this.db.prepare('SELECT max(size) AS size FROM heads').get() as {
      size: number | null;
    };
    return row.size ?? 0;
  }

  private tree(batches: number): MerkleTree {
    return MerkleTree.of(this.leaves().slice(0, batches));
  }

  /** The stored leaf of each batch, in order. */
  private leaves(): Hash[] {
    return (
      this.db.prepare('SELECT leaf FROM batches ORDER BY first_seq').all() as { leaf: Buffer }[]
    ).map((r) => r.leaf);
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  private assertWritable(): void {
    if (this.closed) throw new StoreError(`${this.path} is closed`);
    if (this.readonly) throw new StoreError(`${this.path} is open read-only`);
  }
}
