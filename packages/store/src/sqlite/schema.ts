/**
 * The run file format this version writes and reads. Format 10 writes payloads through shapes
 * listed once a batch, and seqs, ticks and causes as differences (format 9 tagged and named every
 * field, and wrote them whole); format 9 names each actor, type and key once a batch (format 8
 * spelled them out in every record); format 8 made each batch one leaf of the
 * audit tree (format 7 had a leaf per record); format 7 had Plugin API 2's records (only commands
 * from outside are command records), so a format-6 log cannot be re-executed byte for byte.
 */
export const FORMAT = 10;

/**
 * How much of a run file a whole-run reader (verify, the reading thread) maps into memory rather
 * than reads a page at a time: half the cost of reading its rows.
 */
export const SCAN_MMAP_BYTES = 1 << 30;

/** What wrote each older format, and how to bring its runs to this one. */
export const FORMAT_HISTORY: Readonly<Record<number, { by: string; convert: string }>> = {
  6: {
    by: 'Chronovisor before Plugin API 2, which recorded calls as command records',
    convert: 'record the run again with this version (chronovisor run <scenario>)',
  },
  7: {
    by: 'Chronovisor before batch leaves, whose audit tree had a leaf per record',
    convert:
      'export it with the version that wrote it (chronovisor export <run.db> --ndjson <run.ndjson>), then import that with this one (chronovisor import <run.ndjson> --out <new.db>)',
  },
  8: {
    by: 'Chronovisor before batch names, whose records spelled out every actor, type and key',
    convert:
      'export it with the version that wrote it (chronovisor export <run.db> --ndjson <run.ndjson>), then import that with this one (chronovisor import <run.ndjson> --out <new.db>)',
  },
  9: {
    by: 'Chronovisor before payload shapes, whose records tagged and named every field',
    convert:
      'export it with the version that wrote it (chronovisor export <run.db> --ndjson <run.ndjson>), then import that with this one (chronovisor import <run.ndjson> --out <new.db>)',
  },
};

/**
 * The run file, documented for people querying it with the stock `sqlite3` shell:
 *
 * - `meta`: the format version, the run's manifest (plugin set, config, seed, created-by), and
 *   whether the run is still open (`open` = 1 while recording; still 1 after a crash).
 * - `batches`: the log. Row after row of up to 1,024 records, `bytes` holding the batch (each
 *   record's canonical encoding framed by its length, see the README) deflated (raw DEFLATE);
 *   `first_seq` and `count` say which. `leaf` is the batch's leaf hash in the audit tree, and
 *   `checks` each record's 16-bit checksum (big-endian; see the README), to name an altered
 *   record. `first_tick` and `records` (a flat JSON array, three numbers a record: record kind
 *   id, seq − cause (0 for a cause of 0), tick − the previous record's tick) are the index behind
 *   the `records` view.
 * - `heads`: the signed tree heads: after each commit, the RFC 6962 root of the batches holding
 *   the first `size` records (`batches` of them), and its Ed25519 signature when the run was
 *   recorded with a key (the public key is in `meta`).
 * - `record_kinds`: each distinct (kind, rejected, type, actor) of the run, once.
 * - `records`: a view of one row per record (seq, kind, type, actor, cause, tick, rejected),
 *   expanding each batch's `records` JSON with `json_each` (and window functions: SQLite 3.25 or
 *   later) and its kind ids from `record_kinds`:
 *   `SELECT type, count(*) FROM records GROUP BY type`.
 * - `digests`: state digests recorded during the run, by seq, with each projection's digest (JSON).
 * - `bookmarks`: named points of the run (a seq) with a note, for people travelling through it.
 */
export const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
  first_seq INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  checks BLOB NOT NULL,
  leaf BLOB NOT NULL,
  first_tick INTEGER NOT NULL,
  records TEXT NOT NULL
);
CREATE TABLE heads (
  size INTEGER PRIMARY KEY,
  batches INTEGER NOT NULL,
  root BLOB NOT NULL,
  signature BLOB
);
CREATE TABLE record_kinds (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  rejected INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE VIEW records AS
  SELECT seq, k.kind, k.type, k.actor,
    CASE cause_back WHEN 0 THEN 0 ELSE seq - cause_back END AS cause,
    first_tick + sum(tick_step) OVER (PARTITION BY first_seq ORDER BY seq) AS tick,
    k.rejected
  FROM (
    SELECT b.first_seq, b.first_tick, b.first_seq + r.key / 3 AS seq, r.key AS at,
      r.value AS kind_id,
      lead(r.value, 1) OVER triple AS cause_back,
      lead(r.value, 2) OVER triple AS tick_step
    FROM batches b, json_each(b.records) r
    WINDOW triple AS (PARTITION BY b.first_seq ORDER BY r.key)
  )
  JOIN record_kinds k ON k.id = kind_id
  WHERE at % 3 = 0;
CREATE TABLE digests (seq INTEGER PRIMARY KEY, digest TEXT NOT NULL, projections TEXT);
CREATE TABLE bookmarks (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '');
`;
