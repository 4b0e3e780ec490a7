import { ChronovisorError } from '@chronovisor/core';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ApiInputError, Params } from './api-input';
import { jsonBytes } from './record-views';
import type { RunApi } from './run-api';

/** The only interface the page is served on: never another machine's reach. */
export const LOOPBACK = '127.0.0.1';
const COOKIE = 'chronovisor_token';
/** The overview scan's share of the thread: records per step (~10 ms), between requests. */
const SCAN_STEP = 16_384;
/** The timeline's first pass, records folded per step between requests (~20 ms). */
const WARM_STEP = 32_768;

/** Where the built page lies: packages/ui/dist/web, beside lib/ and src/. */
export const PAGE_ASSETS = path.join(__dirname, '..', 'dist', 'web');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

export interface UiServerOptions {
  readonly api: RunApi;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The secret in the URL; a random one by default. */
  readonly token?: string;
  /** The built page (default {@link PAGE_ASSETS}). */
  readonly assets?: string;
}

export interface UiServer {
  /** The page's address, with its token: what `chronovisor ui` prints. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

/** A refusal with its HTTP status. */
class Refused extends ChronovisorError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves the page and its API for one run on 127.0.0.1 only, read-only, behind a token (as
 * Jupyter does): a request without it is refused, and so is one naming another host (a DNS
 * rebinding page) or a file outside the page's own.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const page = path.join(options.assets ?? PAGE_ASSETS, 'index.html');
  if (!existsSync(page))
    throw new ChronovisorError(`The page is not built (${page} is missing): run npm run build`);
  const assets = realpathSync(options.assets ?? PAGE_ASSETS);
  const { api } = options;
  let port = 0;
  const routes: Readonly<Record<string, (p: Params) => unknown>> = {
    run: () => api.info(),
    overview: (p) => api.overview(p),
    records: (p) => api.records(p),
    seek: (p) => api.seek(p),
    'memory-map': (p) => api.memoryMap(p),
    memory: (p) => api.memory(p),
    'last-write': (p) => api.lastWrite(p),
    why: (p) => api.why(p),
    continue: (p) => api.continue(p),
    panels: (p) => api.panels(p),
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', `http://${LOOPBACK}`);
    try {
      const host = request.headers.host ?? '';
      if (host !== `${LOOPBACK}:${port}` && host !== `localhost:${port}`)
        throw new Refused(403, `refused: the page is served to ${LOOPBACK}:${port} only`);
      if (request.method !== 'GET' && request.method !== 'HEAD')
        throw new Refused(405, `refused: the page is read-only (${request.method})`);
      if (!authorized(request, url, token))
        throw new Refused(
          401,
          'refused: no token, or the wrong one: open the address chronovisor ui printed',
        );
      if (url.pathname.startsWith('/api/')) {
        const route = routes[url.pathname.slice('/api/'.length)];
        if (!route) throw new Refused(404, `no such API: ${url.pathname}`);
        send(
          response,
          200,
          'application/json',
          JSON.stringify(route(new Params(url.searchParams)), jsonBytes),
        );
        return;
      }
      const file = assetOf(assets, url.pathname);
      const headers: Record<string, string> = {};
      // The page's first load carries the token in its URL: a cookie carries it after.
      if (url.searchParams.get('token') === token)
        headers['Set-Cookie'] = `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
      send(
        response,
        200,
        TYPES[path.extname(file)] ?? 'application/octet-stream',
        readFileSync(file),
        headers,
      );
    } catch (error) {
      const status =
        error instanceof Refused ? error.status : error instanceof ApiInputError ? 400 : 500;
      const message =
        error instanceof ChronovisorError || error instanceof ApiInputError
          ? error.message
          : `internal error: ${(error as Error).message}`;
      send(response, status, 'application/json', JSON.stringify({ error: message }));
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ChronovisorError(
          error.code === 'EADDRINUSE'
            ? `Port ${options.port} on ${LOOPBACK} is taken: choose another with --port, or 0 for any free one`
            : `Cannot serve on ${LOOPBACK}:${options.port ?? 0}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 0, LOOPBACK, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  // Between requests, a step at a time: the overview's pass over the run, then the timeline's
  // first pass, which leaves snapshots behind for the page's seeks.
  let scanning: NodeJS.Immediate | undefined;
  const scanStep = (): void => {
    const done = api.scan.advance(SCAN_STEP) && api.warmUp(WARM_STEP);
    scanning = done ? undefined : setImmediate(scanStep);
  };
  scanStep();

  return {
    url: `http://${LOOPBACK}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        if (scanning) clearImmediate(scanning);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(request: IncomingMessage, url: URL, token: string): boolean {
  const given =
    url.searchParams.get('token') ??
    (request.headers['x-chronovisor-token'] as string | undefined) ??
    cookie(request.headers.cookie ?? '', COOKIE);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The page's file a path names: `/` is index.html; nothing outside `assets` is ever read. */
function assetOf(assets: string, pathname: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new Refused(400, `refused: ${pathname} is not a valid path`);
  }
  const wanted = path.resolve(assets, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (decoded.includes('\0') || (wanted !== assets && !wanted.startsWith(assets + path.sep)))
    throw new Refused(403, `refused: ${pathname} is outside the page`);
  if (!existsSync(wanted) || !statSync(wanted).isFile())
    throw new Refused(404, `no such file: ${pathname}`);
  // A link inside the page's folder must not lead out of it either.
  const real = realpathSync(wanted);
  if (!real.startsWith(assets + path.sep))
    throw new Refused(403, `refused: ${pathname} is outside the page`);
  return real;
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  response.end(body);
}
