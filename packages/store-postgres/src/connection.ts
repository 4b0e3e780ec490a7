import { StoreError } from '@chronovisor/core';

/**
 * A PostgreSQL URL as people may see it: the password, if any, replaced by `***`, so that no
 * message or log line carries it.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Checks a `postgres://` (or `postgresql://`) URL's form, naming what is wrong. */
export function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError(
      `${redactUrl(url)} is not a URL: expected postgres://user:password@host:port/database`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new StoreError(
      `${redactUrl(url)} is not a PostgreSQL URL: expected postgres://user:password@host:port/database`,
    );
}

/** Whether a store argument names a PostgreSQL server rather than a run file. */
export const isPostgresUrl = (store: string): boolean => /^postgres(ql)?:\/\//.test(store);

/**
 * A run kept in PostgreSQL, as people name it: the server's URL and the run's id after `#` (a
 * URL's fragment never goes to the server), e.g. `postgres://me@db.example/runs#12`.
 */
export function parseRunAddress(address: string): { url: string; run: number } {
  const at = address.lastIndexOf('#');
  const url = at < 0 ? address : address.slice(0, at);
  checkPostgresUrl(url);
  const run = at < 0 ? NaN : Number(address.slice(at + 1));
  if (!Number.isSafeInteger(run) || run < 1)
    throw new StoreError(
      `${redactUrl(address)} names no run: add its id after #, as in ${redactUrl(url)}#12`,
    );
  return { url, run };
}

/** How a run kept in PostgreSQL is named to people: its server (password hidden) and `#<id>`. */
export const runAddress = (url: string, run: number): string => `${redactUrl(url)}#${run}`;
