/*
 * The schema, by versioned migrations: each applied once, in order, in a transaction holding an
 * advisory lock, so that many stores (a team's, a sweep's workers) may open a database at once.
 * A run's rows are those of the SQLite run file (see @chronovisor/store's README), keyed by run.
 */
import type { Client } from 'pg';

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
  // Sweeps: a grid's cells, queued as jobs (pg-boss, in its own schema), and each cell's one result.
  `
  CREATE TABLE sweeps (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    grid TEXT NOT NULL,
    cells INTEGER NOT NULL,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  CREATE TABLE sweep_cells (
    sweep BIGINT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    cell INTEGER NOT NULL,
    params TEXT NOT NULL,
    PRIMARY KEY (sweep, cell)
  );
  CREATE TABLE sweep_results (
    sweep BIGINT NOT NULL,
    cell INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (sweep, cell),
    FOREIGN KEY (sweep, cell) REFERENCES sweep_cells (sweep, cell) ON DELETE CASCADE
  );
  `,
  // Kept snapshots (a time-travel index), as a run file keeps them: the set's key, the snapshots,
  // and the buffers they share.
  `
  CREATE TABLE snapshot_sets (
    run BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL
  );
  CREATE TABLE snapshots (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    state BYTEA NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (run, seq)
  );
  CREATE TABLE snapshot_buffers (
    run BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (run, id)
  );
  `,
];

/** The advisory lock the migrations are applied under (any fixed number: "chronovi"). */
export const MIGRATION_LOCK = 0x6368726f6e6f7669n;

/** Runs `work` in a transaction on `client`, rolled back if it throws. */
export async function transaction(client: Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Applies the migrations the database lacks, one connection at a time (under an advisory lock). */
export async function migrate(client: Client): Promise<void> {
  await transaction(client, async () => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query('SELECT max(version) AS v FROM schema_version');
    const current = (rows[0] as { v: number | null }).v ?? 0;
    if (current > MIGRATIONS.length)
      throw new Error(
        `the database's schema is version ${current}, newer than this version of Chronovisor knows (${MIGRATIONS.length})`,
      );
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v - 1]!);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
    }
  });
}
