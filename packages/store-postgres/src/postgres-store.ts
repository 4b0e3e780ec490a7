import { StoreError, type EventRecord, type LogRecord, type StateDigest } from '@chronovisor/core';
import {
  BatchFront,
  FORMAT,
  batchLeaf,
  checkTreeHead,
  type BatchedStore,
  batchRecords,
  inflateBatch,
  type RecordKind,
  type StoredBatch,
  type TreeHead,
} from '@chronovisor/store';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { checkPostgresUrl, redactUrl } from './connection';
import { PgChannel } from './pg-channel';
import { PostgresSnapshotShelf } from './snapshot-shelf';

/** Batches sealing on the PostgreSQL thread at most, before the oldest is committed. */
const SEALING_AHEAD = 16;
/** Batches a scan fetches in one query. */
const SCAN_PAGE = 64;

/** What a new run is created with. */
export interface PostgresRunOptions {
  /** A name to find the run by (several runs may share one). */
  readonly name?: string;
  readonly manifest?: unknown;
  /** An Ed25519 private key: each tree head is then signed, and the public key kept with the run. */
  readonly signingKey?: KeyObject;
  /** The signer's public key (DER, SPKI), kept with the run without signing (an import's). */
  readonly publicKey?: Buffer;
}

/**
 * Runs kept in PostgreSQL, for a team's shared server or a sweep's workers: each run is the rows of
 * a SQLite run file (batches of canonical records, deflated, each a leaf of the run's audit tree,
 * with checksums, tree heads, digests, record kinds, bookmarks), keyed by the run's id, so that
 * its tree head is the one the same records would give in SQLite. Many runs may be written at
 * once, by many processes. Synchronous, as every store is, through the process's PostgreSQL
 * thread (see PgChannel), which also seals the batches.
 */
export class PostgresStore implements BatchedStore {
  /** The head, the batch filling and the digests waiting for it. */
  private readonly front: BatchFront;
  /** Whether a batch read is checked against its leaf (`--no-verify` reads an altered run). */
  private verify = true;
  private closed = false;

  private constructor(
    private readonly channel: PgChannel,
    private readonly url: string,
    /** The run's id in the database. */
    readonly run: number,
    readonly readonly: boolean,
    last = 0,
    digests: StateDigest[] = [],
  ) {
    this.front = new BatchFront(last, digests);
  }

  /** A new run at the server at `url` (its schema created or brought up to date). */
  static create(url: string, options: PostgresRunOptions = {}): PostgresStore {
    checkPostgresUrl(url);
    const channel = PgChannel.open(url);
    const publicKey = options.signingKey
      ? createPublicKey(options.signingKey).export({ type: 'spki', format: 'der' })
      : options.publicKey;
    const [row] = channel.query<{ id: number }>(
      'INSERT INTO runs (name, format, manifest, public_key) VALUES ($1, $2, $3, $4) RETURNING id',
      [options.name ?? null, FORMAT, JSON.stringify(options.manifest ?? {}), publicKey ?? null],
    );
    const store = new PostgresStore(channel, url, row!.id, false);
    channel.call({
      op: 'seal-run',
      run: store.run,
      kinds: [],
      leaves: [],
      ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    });
    return store;
  }

  /** Run `run` at the server at `url`, to read (or, not `readonly`, to record on). */
  static open(
    url: string,
    run: number,
    options: {
      readonly?: boolean;
      signingKey?: KeyObject;
      /** Check each batch read against its leaf (default); false reads an altered run anyway. */
      verify?: boolean;
    } = {},
  ): PostgresStore {
    checkPostgresUrl(url);
    const channel = PgChannel.open(url);
    const [found] = channel.query<{ format: number }>('SELECT format FROM runs WHERE id = $1', [
      run,
    ]);
    if (!found) {
      channel.close();
      throw new StoreError(`${redactUrl(url)} holds no run ${run}`);
    }
    if (found.format !== FORMAT) {
      channel.close();
      throw new StoreError(
        `Run ${run} at ${redactUrl(url)} is of format ${found.format}; this version reads format ${FORMAT}`,
      );
    }
    const readonly = options.readonly ?? false;
    const [last] = channel.query<{ first_seq: number; count: number }>(
      'SELECT first_seq, count FROM batches WHERE run = $1 ORDER BY first_seq DESC LIMIT 1',
      [run],
    );
    const digests = channel
      .query<{ seq: number; digest: string; projections: string | null }>(
        'SELECT seq, digest, projections FROM digests WHERE run = $1 ORDER BY seq',
        [run],
      )
      .map(({ seq, digest, projections }) =>
        projections
          ? { seq, digest, projections: JSON.parse(projections) as Record<string, string> }
          : { seq, digest },
      );
    const store = new PostgresStore(
      channel,
      url,
      run,
      readonly,
      last ? last.first_seq + last.count - 1 : 0,
      digests,
    );
    store.verify = options.verify ?? true;
    if (!readonly) {
      const kinds = channel.query<RecordKind>(
        'SELECT id, kind, rejected, type, actor FROM record_kinds WHERE run = $1 ORDER BY id',
        [run],
      );
      const leaves = channel
        .query<{ leaf: Uint8Array }>('SELECT leaf FROM batches WHERE run = $1 ORDER BY first_seq', [
          run,
        ])
        .map((r) => r.leaf);
      channel.call({
        op: 'seal-run',
        run,
        kinds,
        leaves,
        ...(options.signingKey ? { signingKey: options.signingKey } : {}),
      });
      channel.query('UPDATE runs SET open = TRUE WHERE id = $1', [run]);
    }
    return store;
  }

  /** The manifest the run was created with. */
  manifest(): unknown {
    const [row] = this.channel.query<{ manifest: string }>(
      'SELECT manifest FROM runs WHERE id = $1',
      [this.run],
    );
    return JSON.parse(row!.manifest) as unknown;
  }

  append(records: readonly LogRecord[]): void {
    this.assertWritable();
    this.front.append(records, () => {
      this.seal();
      while (this.channel.inFlight > SEALING_AHEAD) this.channel.next();
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

  appendDigest(digest: StateDigest): void {
    this.assertWritable();
    this.front.appendDigest(digest);
  }

  digests(): readonly StateDigest[] {
    return this.front.allDigests;
  }

  /** Seals the batch still filling (short) and commits everything, so it survives a crash. */
  flush(): void {
    if (this.readonly || this.closed) return;
    if (this.front.filling > 0) this.seal();
    else {
      // Digests of records whose batches went before them.
      const digests = this.front.takeDigests();
      if (digests.length > 0) this.channel.submit({ op: 'digests', digests });
    }
    this.commitSealing();
  }

  /** Flushes, marks the run closed cleanly, and closes the connection. */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.readonly) {
        this.flush();
        this.channel.query('UPDATE runs SET open = FALSE WHERE id = $1', [this.run]);
      }
    } finally {
      this.closed = true;
      this.channel.close();
    }
  }

  /**
   * Drops the run being recorded, rows and all, and closes the connection: what a refused import
   * leaves, nothing (a run file's partial file is removed likewise).
   */
  discard(): void {
    if (this.closed) return;
    this.assertWritable();
    try {
      this.channel.query('DELETE FROM runs WHERE id = $1', [this.run]);
    } finally {
      this.closed = true;
      this.channel.close();
    }
  }

  /** Whether the run was closed cleanly (false while it records, or after its recorder died). */
  closedCleanly(): boolean {
    const [row] = this.channel.query<{ open: boolean }>('SELECT open FROM runs WHERE id = $1', [
      this.run,
    ]);
    return !row!.open;
  }

  /** The latest tree head (size 0 and the empty root before any batch). */
  treeHeads(): TreeHead[] {
    this.commitSealing();
    return this.channel
      .query<{ size: number; batches: number; root: Uint8Array; signature: Uint8Array | null }>(
        'SELECT size, batches, root, signature FROM heads WHERE run = $1 ORDER BY size',
        [this.run],
      )
      .map(({ size, batches, root, signature }) => ({
        size,
        batches,
        root: Buffer.from(root),
        ...(signature ? { signature: Buffer.from(signature) } : {}),
      }));
  }

  /** Where each batch ends (its last seq), in order. */
  batchEnds(): number[] {
    this.commitSealing();
    return this.channel
      .query<{ end: number }>(
        'SELECT first_seq + count - 1 AS end FROM batches WHERE run = $1 ORDER BY first_seq',
        [this.run],
      )
      .map((r) => r.end);
  }

  /** The snapshots of the run's state kept with it, for time travel (see `chronovisor index`). */
  get snapshots(): PostgresSnapshotShelf {
    return new PostgresSnapshotShelf(this.channel, this.url, this.run);
  }

  /** The signer's public key (SPKI DER), if the run was signed. */
  publicKey(): Buffer | undefined {
    const [row] = this.channel.query<{ public_key: Uint8Array | null }>(
      'SELECT public_key FROM runs WHERE id = $1',
      [this.run],
    );
    return row?.public_key ? Buffer.from(row.public_key) : undefined;
  }

  /** The records' checksums of the stored batch ending at seq `last`, as sealed. */
  batchChecks(last: number): Buffer {
    this.commitSealing();
    const [row] = this.channel.query<{ checks: Uint8Array }>(
      'SELECT checks FROM batches WHERE run = $1 AND first_seq + count - 1 = $2',
      [this.run, last],
    );
    if (!row)
      throw new StoreError(
        `Run ${this.run} at ${redactUrl(this.url)}: no batch ends at seq ${last}`,
      );
    return Buffer.from(row.checks);
  }

  /**
   * Keeps another run's signature of the head of `size` records (an import of a signed run), once
   * it is checked: against the run's public key, over this run's own root of those records.
   */
  adoptSignature(size: number, signature: Buffer): void {
    this.assertWritable();
    const head = this.treeHeads().find((h) => h.size === size);
    const publicKey = this.publicKey();
    const key = publicKey && createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
    if (!head || !key || !checkTreeHead(size, head.root, signature, key))
      throw new StoreError(
        `The signature of the head of ${size} records does not verify for this run's records${key ? '' : ' (it has no public key)'}`,
      );
    this.channel.query('UPDATE heads SET signature = $1 WHERE run = $2 AND size = $3', [
      signature,
      this.run,
      size,
    ]);
  }

  /** The types of records `from` to `to`, a batch at a time (the web page's overview). */
  *outline(from: number, to = this.front.head): Iterable<{ first: number; types: string[] }> {
    const end = Math.min(to, this.front.head);
    let types: string[] = [];
    let first = from;
    for (const records of this.batchesHolding(from, end, false)) {
      for (const r of records) if (r.seq >= from && r.seq <= end) types.push(r.type);
      if (types.length > 0) yield { first, types };
      first += types.length;
      types = [];
    }
  }

  /** The types the run's records have, sorted. */
  recordTypes(): string[] {
    this.commitSealing();
    return this.channel
      .query<{ type: string }>(
        'SELECT DISTINCT type FROM record_kinds WHERE run = $1 ORDER BY type',
        [this.run],
      )
      .map((r) => r.type);
  }

  /**
   * Names a seq of the run. Bookmarks sit beside the records, outside the audit chain, so a run
   * open read-only (the debugger's) takes them too.
   */
  bookmark(name: string, seq: number, note = ''): void {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.front.head)
      throw new StoreError(
        `Cannot bookmark seq ${seq}: the run holds records 1 to ${this.front.head}`,
      );
    this.channel.query(
      'INSERT INTO bookmarks (run, name, seq, note) VALUES ($1, $2, $3, $4) ON CONFLICT (run, name) DO UPDATE SET seq = EXCLUDED.seq, note = EXCLUDED.note',
      [this.run, name, seq, note],
    );
  }

  /** The run's bookmarks, by seq. */
  bookmarks(): { name: string; seq: number; note: string }[] {
    return this.channel.query<{ name: string; seq: number; note: string }>(
      'SELECT name, seq, note FROM bookmarks WHERE run = $1 ORDER BY seq, name',
      [this.run],
    );
  }

  private *scan(from: number, to: number, eventsOnly: boolean): Iterable<LogRecord> {
    if (from < 1) throw new StoreError(`Cannot read from seq ${from}: seqs start at 1`);
    this.commitSealing();
    const end = Math.min(to, this.front.head);
    for (const records of this.batchesHolding(from, end, eventsOnly))
      for (const record of records) {
        if (record.seq < from) continue;
        if (record.seq > end) return;
        yield record;
      }
  }

  /**
   * The records of the batches holding seqs `from` to `end`, a batch at a time: the stored ones
   * a page of batches a query, then the batch still filling, not yet in the database.
   */
  private *batchesHolding(from: number, end: number, eventsOnly: boolean): Iterable<LogRecord[]> {
    const [start] = this.channel.query<{ first_seq: number }>(
      'SELECT first_seq FROM batches WHERE run = $1 AND first_seq <= $2 ORDER BY first_seq DESC LIMIT 1',
      [this.run, from],
    );
    let next = start?.first_seq ?? from;
    for (;;) {
      const rows = this.channel.query<{
        first_seq: number;
        count: number;
        bytes: Uint8Array;
        leaf: Uint8Array;
      }>(
        'SELECT first_seq, count, bytes, leaf FROM batches WHERE run = $1 AND first_seq >= $2 AND first_seq <= $3 ORDER BY first_seq LIMIT $4',
        [this.run, next, end, SCAN_PAGE],
      );
      for (const row of rows) yield this.recordsOf(row, eventsOnly);
      if (rows.length < SCAN_PAGE) break;
      const lastRow = rows.at(-1)!;
      next = lastRow.first_seq + lastRow.count;
    }
    const filling = this.front.fillingBatch(from, end);
    if (filling) yield batchRecords(filling, this.where(filling), eventsOnly);
  }

  /** A stored batch's records, checked against its leaf (unless the store reads unverified). */
  private recordsOf(
    row: { first_seq: number; count: number; bytes: Uint8Array; leaf: Uint8Array },
    eventsOnly: boolean,
  ): LogRecord[] {
    const first = row.first_seq;
    const stored: StoredBatch = { first, count: row.count, batch: Buffer.alloc(0) };
    let batch: Buffer;
    try {
      batch = inflateBatch(row.bytes);
    } catch (error) {
      throw new StoreError(
        `${this.where(stored)} is corrupt (it does not decompress: ${(error as Error).message})`,
      );
    }
    if (this.verify && !batchLeaf(first, row.count, batch).equals(Buffer.from(row.leaf)))
      throw new StoreError(`${this.where(stored)} no longer matches its hash: the run was altered`);
    return batchRecords({ first, count: row.count, batch }, this.where(stored), eventsOnly);
  }

  private where({ first, count }: StoredBatch): string {
    return `Run ${this.run} at ${redactUrl(this.url)}: the batch of seqs ${first} to ${first + count - 1}`;
  }

  /** Hands the batch filling to the PostgreSQL thread, with the digests it brings. */
  private seal(): void {
    const { batch, first, digests } = this.front.take();
    this.channel.submit({ op: 'seal', batch, first, digests }, [batch.buffer as ArrayBuffer]);
  }

  /** Waits until every batch handed over is committed (the channel answers in order). */
  private commitSealing(): void {
    while (this.channel.inFlight > 0) this.channel.next();
  }

  private assertWritable(): void {
    if (this.closed) throw new StoreError(`Run ${this.run} is closed`);
    if (this.readonly) throw new StoreError(`Run ${this.run} was opened read-only`);
  }
}
