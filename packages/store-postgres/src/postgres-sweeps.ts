import { StoreError } from '@chronovisor/core';
import PgBoss from 'pg-boss';
import { Client } from 'pg';
import { checkPostgresUrl, redactUrl } from './connection';
import { migrate, transaction } from './migrations';

/** The queue every sweep's cells wait in: a worker serves every sweep of its server. */
const QUEUE = 'chronovisor-cells';
/** pg-boss's tables, apart from the runs'. */
const BOSS_SCHEMA = 'pgboss';
const CONNECT_MS = 10_000;

/** A cell of a sweep, as a worker takes it from the queue. */
export interface SweepJob<Spec = unknown> {
  readonly id: string;
  readonly sweep: number;
  readonly cell: number;
  /** What to run: the sweep's own description of the cell. */
  readonly spec: Spec;
  /** 1 the first time the cell is taken; more when a worker took it and died. */
  readonly attempt: number;
}

/** A cell to queue: its grid values (for the report) and what a worker runs. */
export interface SweepCellInput {
  readonly params: Readonly<Record<string, unknown>>;
  readonly spec: unknown;
}

/** A sweep as the server keeps it, with each cell's result where it has one. */
export interface StoredSweep {
  readonly id: number;
  readonly name: string;
  readonly grid: unknown;
  readonly created: string;
  readonly cells: readonly {
    readonly cell: number;
    readonly params: Readonly<Record<string, unknown>>;
    readonly result?: unknown;
  }[];
}

/** How sweeps are queued and taken on a server. */
export interface SweepQueueOptions {
  /**
   * Seconds between checks for jobs whose worker stopped answering (their timeout passed): such a
   * job goes back to the queue for another worker. Default 30.
   */
  readonly checkExpiredEvery?: number;
}

/** How long a job may run before it is taken for lost; and how often a lost job is retried. */
export interface EnqueueOptions {
  /** Seconds a cell may take before its worker is taken for dead; default 900. */
  readonly jobTimeout?: number;
  /** Times a lost cell is given to another worker; default 3. */
  readonly retries?: number;
}

/**
 * Sweeps kept in PostgreSQL: each sweep and its cells in tables beside the runs, each cell a job
 * of a pg-boss queue. Enqueueing is one transaction (a sweep is queued whole or not at all); a
 * worker that dies mid-cell leaves its job active until its timeout, when pg-boss gives it to
 * another; a cell keeps the first result written for it, whichever worker wrote it.
 */
export class PostgresSweeps {
  private constructor(
    private readonly url: string,
    private readonly client: Client,
    private readonly boss: PgBoss,
  ) {}

  /** Connects, bringing the schema and the queue up to date. */
  static async connect(url: string, options: SweepQueueOptions = {}): Promise<PostgresSweeps> {
    checkPostgresUrl(url);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_MS });
    client.on('error', () => undefined); // a lost connection fails the next query instead
    const boss = new PgBoss({
      connectionString: url,
      schema: BOSS_SCHEMA,
      schedule: false,
      maintenanceIntervalSeconds: options.checkExpiredEvery ?? 30,
      max: 2,
    });
    // pg-boss reports its background failures as events; an unheard one would end the process.
    boss.on('error', () => undefined);
    try {
      await client.connect();
      await migrate(client);
      await boss.start();
      if (!(await boss.getQueue(QUEUE)))
        await boss.createQueue(QUEUE).catch(async (error: unknown) => {
          if (!(await boss.getQueue(QUEUE))) throw error; // another worker made it meanwhile
        });
    } catch (error) {
      await client.end().catch(() => undefined);
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
      throw new StoreError(`${redactUrl(url)}: ${redactUrl((error as Error).message)}`);
    }
    return new PostgresSweeps(url, client, boss);
  }

  /** Queues a sweep's cells, all in one transaction; its id. */
  async enqueue(
    name: string,
    grid: unknown,
    cells: readonly SweepCellInput[],
    options: EnqueueOptions = {},
  ): Promise<number> {
    let id = 0;
    await this.guarded(() =>
      transaction(this.client, async () => {
        const { rows } = await this.client.query<{ id: string }>(
          'INSERT INTO sweeps (name, grid, cells) VALUES ($1, $2, $3) RETURNING id',
          [name, JSON.stringify(grid), cells.length],
        );
        id = Number(rows[0]!.id);
        await this.client.query(
          'INSERT INTO sweep_cells (sweep, cell, params) SELECT $1, n - 1, p FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n)',
          [id, cells.map((c) => JSON.stringify(c.params))],
        );
        const db = {
          executeSql: (text: string, values: unknown[]) => this.client.query(text, values),
        };
        await this.boss.insert(
          cells.map((c, cell) => ({
            name: QUEUE,
            data: { sweep: id, cell, spec: c.spec },
            expireInSeconds: options.jobTimeout ?? 900,
            retryLimit: options.retries ?? 3,
          })),
          { db },
        );
      }),
    );
    return id;
  }

  /** The next cell waiting, taken for this worker; undefined when none waits now. */
  async take<Spec = unknown>(): Promise<SweepJob<Spec> | undefined> {
    const [job] = await this.guarded(() =>
      this.boss.fetch<{ sweep: number; cell: number; spec: Spec }>(QUEUE, {
        batchSize: 1,
        includeMetadata: true,
      }),
    );
    if (!job) return undefined;
    const { sweep, cell, spec } = job.data;
    return { id: job.id, sweep, cell, spec, attempt: job.retryCount + 1 };
  }

  /**
   * Keeps a cell's result and ends its job. Whether the result is the cell's: false when another
   * worker's came first (a worker taken for dead that was only slow).
   */
  async finish(job: SweepJob, result: unknown): Promise<boolean> {
    const { rowCount } = await this.guarded(() =>
      this.client.query(
        'INSERT INTO sweep_results (sweep, cell, result) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [job.sweep, job.cell, JSON.stringify(result)],
      ),
    );
    await this.guarded(() => this.boss.complete(QUEUE, job.id));
    return rowCount === 1;
  }

  /** Jobs waiting or being run, of every sweep. */
  async queued(): Promise<number> {
    return this.guarded(() => this.boss.getQueueSize(QUEUE, { before: 'completed' }));
  }

  /** Cells of a sweep that have no result yet. */
  async unfinished(sweep: number): Promise<number> {
    const { rows } = await this.guarded(() =>
      this.client.query<{ n: string }>(
        'SELECT count(*) AS n FROM sweep_cells c WHERE c.sweep = $1 AND NOT EXISTS (SELECT 1 FROM sweep_results r WHERE r.sweep = c.sweep AND r.cell = c.cell)',
        [sweep],
      ),
    );
    return Number(rows[0]!.n);
  }

  /** A sweep, its cells and their results; undefined when the server has none of that id. */
  async sweep(id: number): Promise<StoredSweep | undefined> {
    const found = await this.guarded(() =>
      this.client.query<{ name: string; grid: string; created: Date }>(
        'SELECT name, grid, created FROM sweeps WHERE id = $1',
        [id],
      ),
    );
    const row = found.rows[0];
    if (!row) return undefined;
    const { rows } = await this.guarded(() =>
      this.client.query<{ cell: number; params: string; result: string | null }>(
        'SELECT c.cell, c.params, r.result FROM sweep_cells c LEFT JOIN sweep_results r ON r.sweep = c.sweep AND r.cell = c.cell WHERE c.sweep = $1 ORDER BY c.cell',
        [id],
      ),
    );
    return {
      id,
      name: row.name,
      grid: JSON.parse(row.grid) as unknown,
      created: row.created.toISOString(),
      cells: rows.map((r) => ({
        cell: r.cell,
        params: JSON.parse(r.params) as Record<string, unknown>,
        ...(r.result === null ? {} : { result: JSON.parse(r.result) as unknown }),
      })),
    };
  }

  /** The sweeps of the server, newest first. */
  async list(): Promise<
    { id: number; name: string; cells: number; results: number; created: string }[]
  > {
    const { rows } = await this.guarded(() =>
      this.client.query<{
        id: string;
        name: string;
        cells: number;
        results: string;
        created: Date;
      }>(
        'SELECT s.id, s.name, s.cells, (SELECT count(*) FROM sweep_results r WHERE r.sweep = s.id) AS results, s.created FROM sweeps s ORDER BY s.id DESC',
      ),
    );
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      cells: r.cells,
      results: Number(r.results),
      created: r.created.toISOString(),
    }));
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }

  /** A failure of the server's, as a StoreError naming the server (its password hidden). */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StoreError(`${redactUrl(this.url)}: ${redactUrl((error as Error).message)}`);
    }
  }
}
