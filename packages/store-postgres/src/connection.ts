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
