import type { StoredSweep } from '@chronovisor/store-postgres';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../cli-error';
import type { Cell, CellSpec, Grid } from './grid';
import type { CellResult } from './run-cell';

/** The ledger of a sweep run on this machine: `sweep.db` in the sweep's folder. */
const LEDGER = 'sweep.db';

/** A cell as a local worker takes it. */
export interface LocalJob {
  readonly cell: number;
  readonly attempt: number;
  readonly spec: CellSpec;
}

/**
 * A sweep run on this machine, without PostgreSQL: its folder holds one run file per cell and a
 * SQLite ledger of the cells, each queued, taken by a worker (a process of this machine), or done
 * with its one result. Workers take cells in transactions; the process that started them puts a
 * dead worker's cell back in the queue.
 */
export class LocalSweep {
  private constructor(
    readonly dir: string,
    private readonly db: Database.Database,
  ) {}

  /** Makes the sweep's folder and ledger, every cell queued. */
  static create(dir: string, grid: Grid): LocalSweep {
    if (existsSync(path.join(dir, LEDGER)))
      throw new CliError(`${dir} already holds a sweep; name another folder with --out`);
    // Its cells' run files go in it: a folder of the user's own is not written into.
    if (existsSync(dir) && !statSync(dir).isDirectory())
      throw new CliError(
        `${dir} is a file, not a folder: name a new folder for the sweep with --out`,
      );
    if (existsSync(dir) && readdirSync(dir).length > 0)
      throw new CliError(`${dir} already holds files; name a new folder for the sweep with --out`);
    mkdirSync(dir, { recursive: true });
    const db = tuned(new Database(path.join(dir, LEDGER)));
    db.exec(`
      CREATE TABLE sweep (name TEXT NOT NULL, grid TEXT NOT NULL, created TEXT NOT NULL);
      CREATE TABLE cells (
        cell INTEGER PRIMARY KEY,
        params TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        worker TEXT,
        attempts INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE results (cell INTEGER PRIMARY KEY REFERENCES cells (cell), result TEXT NOT NULL);
    `);
    const cell = db.prepare('INSERT INTO cells (cell, params, spec) VALUES (?, ?, ?)');
    db.transaction((cells: readonly Cell[]) => {
      db.prepare('INSERT INTO sweep (name, grid, created) VALUES (?, ?, ?)').run(
        grid.name,
        JSON.stringify(grid.grid),
        new Date().toISOString(),
      );
      for (const c of cells) cell.run(c.cell, JSON.stringify(c.params), JSON.stringify(c.spec));
    })(grid.cells);
    return new LocalSweep(dir, db);
  }

  /** A sweep's folder, as made by `create`. */
  static open(dir: string): LocalSweep {
    if (!existsSync(path.join(dir, LEDGER)))
      throw new CliError(
        `${dir} holds no sweep (no ${LEDGER}): name a folder chronovisor sweep made`,
      );
    const file = path.join(dir, LEDGER);
    let db: Database.Database | undefined;
    try {
      // Checked before anything is set on it: a database of the user's is left as it was.
      db = new Database(file, { fileMustExist: true });
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .pluck()
        .all() as string[];
      const missing = ['sweep', 'cells', 'results'].filter((t) => !tables.includes(t));
      if (missing.length > 0)
        throw new Error(`it has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}`);
      return new LocalSweep(dir, tuned(db));
    } catch (error) {
      db?.close();
      throw new CliError(`${file} is not a sweep's ledger: ${(error as Error).message}`);
    }
  }

  /** The sweep's name. */
  get name(): string {
    return (this.db.prepare('SELECT name FROM sweep').get() as { name: string }).name;
  }

  /** The next queued cell, taken for `worker`; undefined when none is queued. */
  take(worker: string): LocalJob | undefined {
    return this.db
      .transaction(() => {
        const row = this.db
          .prepare(
            "SELECT cell, spec, attempts FROM cells WHERE state = 'queued' ORDER BY cell LIMIT 1",
          )
          .get() as { cell: number; spec: string; attempts: number } | undefined;
        if (!row) return undefined;
        this.db
          .prepare(
            "UPDATE cells SET state = 'taken', worker = ?, attempts = attempts + 1 WHERE cell = ?",
          )
          .run(worker, row.cell);
        return {
          cell: row.cell,
          attempt: row.attempts + 1,
          spec: JSON.parse(row.spec) as CellSpec,
        };
      })
      .immediate();
  }

  /** Keeps a cell's result (its first: false if it had one) and marks it done. */
  finish(cell: number, result: CellResult): boolean {
    return this.db
      .transaction(() => {
        const kept = this.db
          .prepare('INSERT OR IGNORE INTO results (cell, result) VALUES (?, ?)')
          .run(cell, JSON.stringify(result)).changes;
        this.db.prepare("UPDATE cells SET state = 'done' WHERE cell = ?").run(cell);
        return kept === 1;
      })
      .immediate();
  }

  /** Puts the cells a dead worker had taken back in the queue; how many. */
  requeue(worker: string): number {
    return this.db
      .prepare(
        "UPDATE cells SET state = 'queued', worker = NULL WHERE state = 'taken' AND worker = ?",
      )
      .run(worker).changes;
  }

  /** Puts every taken cell back in the queue (a sweep resumed: none of its workers runs). */
  requeueAll(): number {
    return this.db
      .prepare("UPDATE cells SET state = 'queued', worker = NULL WHERE state = 'taken'")
      .run().changes;
  }

  /** Cells not yet done (queued or taken). */
  unfinished(): number {
    return (
      this.db.prepare("SELECT count(*) AS n FROM cells WHERE state != 'done'").get() as {
        n: number;
      }
    ).n;
  }

  /** The sweep, its cells and their results, as a report reads it. */
  stored(): StoredSweep {
    const sweep = this.db.prepare('SELECT name, grid, created FROM sweep').get() as {
      name: string;
      grid: string;
      created: string;
    };
    const rows = this.db
      .prepare(
        'SELECT c.cell, c.params, r.result FROM cells c LEFT JOIN results r USING (cell) ORDER BY c.cell',
      )
      .all() as { cell: number; params: string; result: string | null }[];
    return {
      id: 0,
      name: sweep.name,
      grid: JSON.parse(sweep.grid) as unknown,
      created: sweep.created,
      cells: rows.map((r) => ({
        cell: r.cell,
        params: JSON.parse(r.params) as Record<string, unknown>,
        ...(r.result === null ? {} : { result: JSON.parse(r.result) as unknown }),
      })),
    };
  }

  close(): void {
    this.db.close();
  }
}

/** The ledger, shared by the processes of a sweep: WAL, and a wait on another's transaction. */
/** Write-ahead logging, and waits on the lock rather than failing: workers take cells at once. */
function tuned(db: Database.Database): Database.Database {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  return db;
}
