// Run by the postgres suite, several at once (see postgresSuite): warms up, says "ready", waits
// for "go" on stdin, records the mixed MMU workload into PostgreSQL or a SQLite file, and prints
// how many records it wrote in how many seconds, as JSON.
import { NullStore, type Store } from '@chronovisor/core';
import { SqliteStore } from '@chronovisor/store';
import { PostgresStore } from '@chronovisor/store-postgres';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { recordMixedWorkload } from './suites/store';

async function main(): Promise<void> {
  const [kind, target, commands] = process.argv.slice(2) as [string, string, string];
  recordMixedWorkload(new NullStore(), 20_000); // warm-up
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  const start = performance.now();
  const store: Store =
    kind === 'postgres'
      ? PostgresStore.create(target, { name: 'bench' })
      : SqliteStore.create(target);
  const records = recordMixedWorkload(store, Number(commands)).seq;
  store.close();
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`${JSON.stringify({ records, seconds })}\n`);
}

void main();
