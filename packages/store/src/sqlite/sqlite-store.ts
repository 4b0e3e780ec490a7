import {
  StoreError,
  checkContinuity,
  type EventRecord,
  type LogRecord,
  type StateDigest,
  type Store,
} from '@chronovisor/core';
import Database from 'better-sqlite3';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { ByteReader, DecodeError } from '../codec/byte-reader';
import { ByteWriter } from '../codec/byte-writer';
import {
  atEvent,
  canonicalRecords,
  decodeRecord,
  encodeRecord,
  skipRecord,
} from '../codec/record-codec';
import { signTreeHead } from '../audit/tree-head';
import { Frontier } from '../merkle/frontier';
import { leafHash, type Hash } from '../merkle/hashes';
import { BatchSealer } from './batch-sealer';
import type { BatchSeal } from './batch-seal';
import { batchedTree } from '../merkle/batched-tree';
import { MerkleTree } from '../merkle/merkle-tree';
import type { TreeHead } from '../audit/tree-head';
import { RecordIndex } from './record-index';
import { SnapshotShelf } from './snapshot-shelf';
import { FORMAT, FORMAT_HISTORY, SCHEMA } from './schema';

/** Records per stored batch: one row, one compressed blob, one transaction when it fills. */
export const BATCH_SIZE = 1024;

export { LEAF_PREFIX_BYTES } from './batch-seal';

/** How to create a run file. */
export interface CreateOptions {
  /** The run's manifest: plugin set with versions, config, seed, created-by. */
  readonly manifest?: unknown;
  /** An Ed25519 private key: each tree head is then signed, and the public key kept in the file. */
  readonly signingKey?: KeyObject;
}

/** How a run file was found when opened. */
export interface RunStatus {
  /** False when the process that wrote it died before closing it (it then holds every batch committed before). */
  readonly closedCleanly: boolean;
  readonly records: number;
}

/**
 * The embedded default store: one SQLite file per run (WAL mode), records encoded canonically and
 * stored 1,024 to a row as one compressed blob, so recording costs one insert per batch, not per
 * record. What the process had committed survives a kill at any instant: a batch still filling
 * is held in memory until it fills or `flush()` writes it. A `records` view gives one row per
 * record, so a run can be queried with the stock `sqlite3` shell.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private last = 0;
  /** Records appended since the last full batch: rewritten as one row at each flush until full. */
  private pending: LogRecord[] = [];
  /** Full batches handed to the sealer and not yet committed, oldest first. */
  private readonly sealing: LogRecord[][] = [];
  private sealer?: BatchSealer;
  private readonly writer = new ByteWriter();
  private stateDigests: StateDigest[] = [];
  /** Digests not yet written: they go in with the batch holding their seq, never before it. */
  private pendingDigests: StateDigest[] = [];
  private closed = false;
  readonly status: RunStatus;

  private readonly insertBatch: Database.Statement;
  private readonly insertDigest: Database.Statement;
  private readonly insertHead: Database.Statement;
  private readonly selectBatch: Database.Statement;
  /** The complete subtrees of the log's Merkle tree over the full batches. */
  private readonly frontier = new Frontier();
  private signingKey?: KeyObject;
  private readonly index: RecordIndex;

  private constructor(
    readonly path: string,
    db: Database.Database,
    readonly readonly: boolean,
  ) {
    this.db = db;
    this.selectBatch = db.prepare('SELECT count, bytes FROM batches WHERE first_seq = ?');
    this.insertBatch = db.prepare(
      'INSERT OR REPLACE INTO batches (first_seq, count, bytes, leaves, root, first_tick, records) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertDigest = db.prepare(
      'INSERT OR REPLACE INTO digests (seq, digest, projections) VALUES (?, ?, ?)',
    );
    this.index = new RecordIndex(db);
    this.insertHead = db.prepare(
      'INSERT OR REPLACE INTO heads (size, root, signature) VALUES (?, ?, ?)',
    );
    const fullRoots = db
      .prepare('SELECT root FROM batches WHERE count = ? ORDER BY first_seq')
      .all(BATCH_SIZE) as { root: Buffer }[];
    for (const { root } of fullRoots) this.frontier.push(root, BATCH_SIZE);
    const lastBatch = db
      .prepare('SELECT first_seq, count FROM batches ORDER BY first_seq DESC LIMIT 1')
      .get() as { first_seq: number; count: number } | undefined;
    this.last = lastBatch ? lastBatch.first_seq + lastBatch.count - 1 : 0;
    // A batch that was still filling when the file was last flushed goes on filling.
    if (lastBatch && lastBatch.count < BATCH_SIZE && !readonly) {
      this.pending = [...this.readBatch(lastBatch.first_seq)];
    }
    const digestRows = db
      .prepare('SELECT seq, digest, projections FROM digests ORDER BY seq')
      .all() as {
      seq: number;
      digest: string;
      projections: string | null;
    }[];
    this.stateDigests = digestRows.map(({ seq, digest, projections }) =>
      projections
        ? { seq, digest, projections: JSON.parse(projections) as Record<string, string> }
        : { seq, digest },
    );
    const open = db.prepare("SELECT value FROM meta WHERE key = 'open'").get() as
      { value: string } | undefined;
    this.status = { closedCleanly: open?.value !== '1', records: this.last };
    if (!readonly) this.setMeta('open', '1');
  }

  /** Creates a new run file; refuses to overwrite one. */
  static create(path: string, options: CreateOptions = {}): SqliteStore {
    if (existsSync(path))
      throw new StoreError(`${path} already exists; choose another file or remove it first`);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insert.run('format', String(FORMAT));
    insert.run('manifest', JSON.stringify(options.manifest ?? {}));
    if (options.signingKey) {
      const publicKey = createPublicKey(options.signingKey).export({ type: 'spki', format: 'der' });
      insert.run('public_key', publicKey.toString('base64'));
    }
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
    options: { readonly?: boolean; signingKey?: KeyObject } = {},
  ): SqliteStore {
    if (!existsSync(path)) throw new StoreError(`${path} does not exist`);
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: true });
      const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as
        { value: string } | undefined;
      if (!format) throw new Error('it has no format version');
      if (Number(format.value) !== FORMAT) {
        throw new StoreError(
          `${path} is a Chronovisor run of format ${format.value}; this version reads format ${FORMAT}` +
            (Number(format.value) < FORMAT
              ? `: record the run again with this version (chronovisor run <scenario>), or read it with the version that wrote it (${FORMAT_HISTORY[Number(format.value)] ?? 'an older one'})`
              : ': read it with a newer version of Chronovisor'),
        );
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`${path} is not a Chronovisor run: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!options.readonly) db.pragma('journal_mode = WAL');
    const store = new SqliteStore(path, db, options.readonly ?? false);
    if (options.signingKey) store.signingKey = options.signingKey;
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
    this.last = checkContinuity(this.last, records);
    for (const record of records) {
      this.pending.push(record);
      if (this.pending.length === BATCH_SIZE) {
        this.seal(this.pending);
        this.sealing.push(this.pending);
        this.pending = [];
        // One batch sealing on the other thread while this one fills the next: commits lag a batch.
        while (this.sealing.length > 1) this.commit(this.sealing.shift()!, this.sealer!.take());
      }
    }
  }

  head(): number {
    return this.last;
  }

  read(from: number, to = this.last): Iterable<LogRecord> {
    return this.scan(from, to, false);
  }

  /** The events among records `from` to `to`: commands are skipped without being decoded. */
  readEvents(from: number, to = this.last): Iterable<EventRecord> {
    return this.scan(from, to, true) as Iterable<EventRecord>;
  }

  private *scan(from: number, to: number, eventsOnly: boolean): Iterable<LogRecord> {
    if (from < 1) throw new StoreError(`Cannot read from seq ${from}: seqs start at 1`);
    this.commitSealing();
    const end = Math.min(to, this.last);
    const firstBatch = Math.floor((from - 1) / BATCH_SIZE) * BATCH_SIZE + 1;
    const rows = this.db
      .prepare(
        'SELECT first_seq FROM batches WHERE first_seq >= ? AND first_seq <= ? ORDER BY first_seq',
      )
      .iterate(firstBatch, end) as Iterable<{ first_seq: number }>;
    const stored: number[] = [];
    for (const row of rows) stored.push(row.first_seq);
    // The last seq given: the batch still filling is both stored (once flushed) and pending.
    let given = from - 1;
    for (const first of stored) {
      for (const record of this.readBatch(first, eventsOnly)) {
        if (record.seq <= given) continue;
        if (record.seq > end) return;
        given = record.seq;
        yield record;
      }
    }
    // The tail not yet written to the file.
    for (const record of this.pending) {
      if (record.seq <= given || (eventsOnly && record.kind !== 'event')) continue;
      if (record.seq > end) return;
      given = record.seq;
      yield record;
    }
  }

  appendDigest(digest: StateDigest): void {
    this.assertWritable();
    if (digest.seq > this.last)
      throw new StoreError(
        `State digest at seq ${digest.seq} is past the last record (${this.last})`,
      );
    this.stateDigests.push(digest);
    this.pendingDigests.push(digest);
  }

  digests(): readonly StateDigest[] {
    return this.stateDigests;
  }

  /** Writes the batch still filling, so everything appended so far survives a crash. */
  flush(): void {
    if (this.readonly || this.closed) return;
    this.commitSealing();
    if (this.pending.length === 0) return;
    this.seal(this.pending);
    this.commit(this.pending, this.sealer!.take());
  }

  /** Flushes and marks the run closed cleanly. */
  close(): void {
    if (this.closed) return;
    if (!this.readonly) {
      this.flush();
      this.setMeta('open', '0');
    }
    this.sealer?.close();
    this.closed = true;
    this.db.close();
  }

  /** Hands a batch's canonical bytes to the sealer (hashes and deflate, on another thread). */
  private seal(records: readonly LogRecord[]): void {
    const writer = this.writer;
    writer.reset();
    const ends = new Uint32Array(records.length);
    for (let i = 0; i < records.length; i++) {
      encodeRecord(writer, records[i]!);
      ends[i] = writer.length;
    }
    this.sealer ??= new BatchSealer();
    this.sealer.submit(writer.bytes.slice(0, writer.length), ends);
  }

  /** Commits the full batches still being sealed. */
  private commitSealing(): void {
    while (this.sealing.length > 0) this.commit(this.sealing.shift()!, this.sealer!.take());
  }

  /**
   * Commits a sealed batch: its records, their leaf hashes and root, the digests it covers, and
   * the new tree head, in one transaction, so a crash leaves all of it or none. A batch still
   * filling is written again, whole, at each flush until it is full.
   */
  private commit(records: readonly LogRecord[], seal: BatchSeal): void {
    const first = records[0]!.seq;
    const count = records.length;
    const full = count === BATCH_SIZE;
    if (full) this.frontier.push(seal.root, BATCH_SIZE);
    const size = first + count - 1;
    const headRoot = full ? this.frontier.root() : this.frontier.root(seal.root);
    const signature = this.signingKey ? signTreeHead(size, headRoot, this.signingKey) : null;
    const digests = this.pendingDigests.filter((d) => d.seq <= size);
    this.db.transaction(() => {
      const index = this.index.describe(records);
      this.insertBatch.run(
        first,
        count,
        seal.bytes,
        seal.leaves,
        seal.root,
        index.firstTick,
        index.json,
      );
      for (const d of digests)
        this.insertDigest.run(
          d.seq,
          d.digest,
          d.projections ? JSON.stringify(d.projections) : null,
        );
      this.insertHead.run(size, headRoot, signature);
    })();
    if (digests.length > 0) this.pendingDigests = this.pendingDigests.filter((d) => d.seq > size);
  }

  /** The stored row of the batch starting at `first`. */
  private storedBatch(first: number): { count: number; bytes: Buffer } {
    const row = this.selectBatch.get(first) as { count: number; bytes: Buffer } | undefined;
    if (!row) throw new StoreError(`${this.path}: the batch from seq ${first} is missing`);
    return row;
  }

  /**
   * The records of the batch starting at `first` (or only its events: the commands' structure
   * is checked, not decoded), checked: a corrupt batch names its seqs.
   */
  private readBatch(first: number, eventsOnly = false): LogRecord[] {
    const row = this.storedBatch(first);
    const where = `${this.path}: the batch of seqs ${first} to ${first + row.count - 1}`;
    let bytes: Buffer;
    try {
      bytes = inflateRawSync(row.bytes);
    } catch (error) {
      throw new StoreError(
        `${where} is corrupt (it does not decompress: ${(error as Error).message})`,
        { cause: error },
      );
    }
    const input = new ByteReader(bytes);
    const records: LogRecord[] = [];
    for (let i = 0; i < row.count; i++) {
      const seq = first + i;
      let record: LogRecord | undefined;
      let at: number;
      try {
        if (eventsOnly && !atEvent(input)) at = skipRecord(input);
        else at = (record = decodeRecord(input)).seq;
      } catch (error) {
        if (error instanceof DecodeError)
          throw new StoreError(`${where} is corrupt at seq ${seq}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
      if (at !== seq)
        throw new StoreError(`${where} is corrupt at seq ${seq}: it holds seq ${at} there`);
      if (record) records.push(record);
    }
    if (!input.done)
      throw new StoreError(`${where} is corrupt: it holds more than its ${row.count} records`);
    return records;
  }

  // ---- bookmarks ---------------------------------------------------------------------------

  /** Names a point of the run, with a note; a bookmark of the same name is replaced. */
  bookmark(name: string, seq: number, note = ''): void {
    this.assertWritable();
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.last) {
      throw new StoreError(`Cannot bookmark seq ${seq}: the run holds records 1 to ${this.last}`);
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
    const rows = this.db.prepare('SELECT size, root, signature FROM heads ORDER BY size').all() as {
      size: number;
      root: Buffer;
      signature: Buffer | null;
    }[];
    return rows.map(({ size, root, signature }) =>
      signature ? { size, root, signature } : { size, root },
    );
  }

  /** The Merkle root of the first `size` committed records, as the stored records give it. */
  treeRoot(size = this.committed()): Hash {
    return this.tree(size).root();
  }

  /** The audit path of record `seq` in the tree of the first `size` records (RFC 6962). */
  inclusionProof(seq: number, size = this.committed()): Hash[] {
    return this.tree(size).inclusionProof(seq - 1, size);
  }

  /** The proof that the tree of `second` records extends the one of `first` (RFC 6962). */
  consistencyProof(first: number, second = this.committed()): Hash[] {
    return this.tree(second).consistencyProof(first, second);
  }

  /** Records covered by the last tree head. */
  committed(): number {
    const row = this.db.prepare('SELECT max(size) AS size FROM heads').get() as {
      size: number | null;
    };
    return row.size ?? 0;
  }

  private tree(size: number): MerkleTree {
    if (size > this.committed()) {
      throw new StoreError(
        `Only the first ${this.committed()} records are committed; flush before asking for a tree of ${size}`,
      );
    }
    const roots = this.db
      .prepare('SELECT root FROM batches WHERE count = ? ORDER BY first_seq')
      .all(BATCH_SIZE) as { root: Buffer }[];
    return batchedTree(
      size,
      BATCH_SIZE,
      roots.map((r) => r.root),
      (batch) => this.batchLeaves(batch * BATCH_SIZE + 1),
    );
  }

  /** The leaf hashes of a stored batch, recomputed from its records' canonical bytes. */
  private batchLeaves(first: number): Hash[] {
    const row = this.storedBatch(first);
    const leaves: Hash[] = [];
    for (const { bytes } of canonicalRecords(inflateRawSync(row.bytes)))
      leaves.push(leafHash(bytes));
    return leaves;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  private assertWritable(): void {
    if (this.closed) throw new StoreError(`${this.path} is closed`);
    if (this.readonly) throw new StoreError(`${this.path} is open read-only`);
  }
}
