import { Simulation } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import * as mmu from '@chronovisor/mmu';
import { SqliteStore } from '@chronovisor/store';
import { Timeline } from '@chronovisor/timetravel';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import * as path from 'node:path';
import { startUiServer, type UiServer } from './http-server';
import { RunApi, storedRunSource } from './run-api';

const SECRET = 'the contents of a file outside the page';
const dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-ui-server-'));
const assets = path.join(dir, 'web');
mkdirSync(path.join(assets, 'assets'), { recursive: true });
writeFileSync(path.join(assets, 'index.html'), '<!doctype html><title>page</title>');
writeFileSync(path.join(assets, 'assets', 'page.js'), 'console.log(1)');
writeFileSync(path.join(dir, 'secret.txt'), SECRET);
symlinkSync(path.join(dir, 'secret.txt'), path.join(assets, 'link.txt'));

const file = path.join(dir, 'run.db');
{
  const store = SqliteStore.create(file);
  const sim = new Simulation({ plugins: [mmuPlugin({ frames: 16 })], seed: 1, store });
  sim.dispatch(mmu.createPartition, { name: 'p', frames: 16 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'p' }).value!;
  sim.dispatch(mmu.map, { space, va: 0, pages: 2 });
  sim.dispatch(mmu.write, { space, va: 8, data: Uint8Array.of(7) });
  sim.close();
}
const store = SqliteStore.open(file, { readonly: true });
const plugins = [mmuPlugin({ frames: 16 })];
const api = new RunApi(
  storedRunSource(file, store),
  new Timeline(store, plugins, { seed: 1 }),
  plugins,
);

let server: UiServer;
beforeAll(async () => {
  server = await startUiServer({ api, assets, token: 'a'.repeat(48) });
});
afterAll(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request: the path goes out exactly as given (no URL normalising `..`). */
function get(
  rawPath: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: rawPath, method, headers },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
const withToken = { 'X-Chronovisor-Token': 'a'.repeat(48) };

describe('the page server', () => {
  it('listens on 127.0.0.1 only, and prints an address that holds the token', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${'a'.repeat(48)}`);
    // Every other address of this machine is refused: the socket is bound to loopback alone.
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const address of [...others, '127.0.0.2']) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address, port: server.port });
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect([address, outcome]).toEqual([address, 'ECONNREFUSED']);
    }
  });

  it('refuses a request without the token, or with a wrong one', async () => {
    const tries: Record<string, string>[] = [
      {},
      { 'X-Chronovisor-Token': 'b'.repeat(48) },
      { 'X-Chronovisor-Token': 'a' },
      { Cookie: 'chronovisor_token=nope' },
    ];
    for (const headers of tries) {
      const response = await get('/api/run', headers);
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toEqual({
        error: 'refused: no token, or the wrong one: open the address chronovisor ui printed',
      });
    }
    expect((await get('/')).status).toBe(401);
    expect((await get(`/?token=${'b'.repeat(48)}`)).status).toBe(401);
  });

  it('serves the page at the printed address, and its cookie carries the token after', async () => {
    const page = await get(`/?token=${'a'.repeat(48)}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>page</title>');
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toBe(`chronovisor_token=${'a'.repeat(48)}`);
    const run = await get('/api/run', { Cookie: cookie });
    expect(run.status).toBe(200);
    expect(JSON.parse(run.body)).toMatchObject({ head: store.head(), pageSize: 4096 });
    expect((await get('/assets/page.js', { Cookie: cookie })).body).toBe('console.log(1)');
  });

  it('never serves a file outside the page, however the path is written', async () => {
    for (const raw of [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/link.txt',
      '/%2e%2e%5csecret.txt',
      '/index.html%00.js',
      '/%zz',
    ]) {
      const response = await get(raw, withToken);
      expect([raw, [400, 403, 404].includes(response.status)]).toEqual([raw, true]);
      expect(response.body).not.toContain(SECRET);
    }
    expect((await get('/link.txt', withToken)).status).toBe(403);
    expect((await get('/..%2fsecret.txt', withToken)).status).toBe(403);
  });

  it('refuses another host name (a rebinding page), writes, and unknown APIs', async () => {
    const rebound = await get('/api/run', { ...withToken, Host: `evil.example:${server.port}` });
    expect(rebound.status).toBe(403);
    expect((await get('/api/run', withToken, 'POST')).status).toBe(405);
    expect(await get('/api/nothing', withToken)).toMatchObject({ status: 404 });
    const bad = await get('/api/seek?seq=-1', withToken);
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.body) as { error: string }).error).toBe(
      `parameter seq must be a whole number from 0 to ${store.head()}, not "-1"`,
    );
    const memory = await get(`/api/memory?seq=${store.head()}&space=1&va=8&length=2`, withToken);
    expect(JSON.parse(memory.body)).toMatchObject({ bytes: [7, 0] });
  });

  it('says the page is not built when it is not, rather than failing on a missing folder', async () => {
    const missing = path.join(dir, 'not-built', 'web');
    await expect(startUiServer({ api, assets: missing })).rejects.toThrow(
      `The page is not built (${path.join(missing, 'index.html')} is missing): run npm run build`,
    );
  });

  it('says so when the port is taken', async () => {
    await expect(startUiServer({ api, assets, port: server.port })).rejects.toThrow(
      `Port ${server.port} on 127.0.0.1 is taken: choose another with --port, or 0 for any free one`,
    );
  });
});
