/** The run file format this version writes and reads. */
export const FORMAT = 5;

/**
 * The run file, documented for people querying it with the stock `sqlite3` shell:
 *
 * - `meta`: the format version, the run's manifest (plugin set, config, seed, created-by), and
 *   whether the run is still open (`open` = 1 while recording; still 1 after a crash).
 * - `batches`: the log. Row after row of up to 1,024 records, `bytes` holding their canonical
 *   encoding concatenated and deflated (raw DEFLATE); `first_seq` and `count` say which.
 *   `leaves` holds the first 4 bytes of each record's Merkle leaf hash (to name an altered record)
 *   and `root` the Merkle root of the batch's records (a complete subtree of the log's tree).
 * - `heads`: the signed tree heads: after each commit, the RFC 6962 root of the first `size`
 *   records, and its Ed25519 signature when the run was recorded with a key (the public key is
 *   in `meta`).
 * - `records`: a view of one row per record (seq, kind, type, actor, cause, tick, rejected), over
 *   `record_index` (written with each batch) and `names` (its type and actor strings, stored
 *   once each): `SELECT type, count(*) FROM records GROUP BY type`.
 * - `digests`: state digests recorded during the run, by seq, with each projection's digest (JSON).
 * - `bookmarks`: named points of the run (a seq) with a note, for people travelling through it.
 */
export const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
  first_seq INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  leaves BLOB NOT NULL,
  root BLOB NOT NULL
);
CREATE TABLE heads (size INTEGER PRIMARY KEY, root BLOB NOT NULL, signature BLOB);
CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE record_index (
  seq INTEGER PRIMARY KEY,
  type INTEGER NOT NULL REFERENCES names (id),
  actor INTEGER NOT NULL REFERENCES names (id),
  -- seq - cause, or 0 for a command from outside: small, so a byte or two on disk
  cause_back INTEGER NOT NULL,
  tick INTEGER NOT NULL,
  -- 1: an event; 2: a refused command
  flags INTEGER NOT NULL
);
CREATE VIEW records AS
  SELECT seq,
    CASE flags & 1 WHEN 1 THEN 'event' ELSE 'command' END AS kind,
    t.name AS type,
    a.name AS actor,
    CASE cause_back WHEN 0 THEN 0 ELSE seq - cause_back END AS cause,
    tick,
    (flags & 2) / 2 AS rejected
  FROM record_index JOIN names t ON t.id = record_index.type JOIN names a ON a.id = record_index.actor;
CREATE TABLE digests (seq INTEGER PRIMARY KEY, digest TEXT NOT NULL, projections TEXT);
CREATE TABLE bookmarks (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '');
`;
