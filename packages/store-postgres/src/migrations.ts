/*
 * The schema, by versioned migrations: each applied once, in order, in a transaction holding an
 * advisory lock, so that many stores (a team's, a sweep's workers) may open a database at once.
 * A run's rows are those of the SQLite run file (see @chronovisor/store's README), keyed by run.
 */

/** Each version's statements; version n is `MIGRATIONS[n - 1]`. Only ever appended to. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT,
    format INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    open BOOLEAN NOT NULL DEFAULT TRUE,
    public_key BYTEA
  );
  CREATE INDEX runs_by_name ON runs (name);
  CREATE TABLE batches (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_seq BIGINT NOT NULL,
    count INTEGER NOT NULL,
    bytes BYTEA NOT NULL,
    checks BYTEA NOT NULL,
    leaf BYTEA NOT NULL,
    first_tick BIGINT NOT NULL,
    records TEXT NOT NULL,
    PRIMARY KEY (run, first_seq)
  );
  CREATE TABLE heads (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    size BIGINT NOT NULL,
    batches INTEGER NOT NULL,
    root BYTEA NOT NULL,
    signature BYTEA,
    PRIMARY KEY (run, size)
  );
  CREATE TABLE digests (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    digest TEXT NOT NULL,
    projections TEXT,
    PRIMARY KEY (run, seq)
  );
  CREATE TABLE record_kinds (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    rejected INTEGER NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (run, id)
  );
  CREATE TABLE bookmarks (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    seq BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run, name)
  );
  `,
];

/** The advisory lock the migrations are applied under (any fixed number: "chronovi"). */
export const MIGRATION_LOCK = 0x6368726f6e6f7669n;
