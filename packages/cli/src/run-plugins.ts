import { SqliteStore } from '@chronovisor/store';
import {
  PostgresStore,
  isPostgresUrl,
  parseRunAddress,
  runAddress,
} from '@chronovisor/store-postgres';
import { KeptSnapshots, Timeline } from '@chronovisor/timetravel';
import { canonicalJson, type Plugin } from '@chronovisor/core';
import { createHash } from 'node:crypto';
import { CliError } from './cli-error';
import { DEFAULT_CONFIG, loadConfig } from './config';
import { loadPlugins, type ManifestPlugin } from './plugin-loader';

/** What a run file says about how it was made. */
export interface RunManifest {
  readonly plugins: ManifestPlugin[];
  readonly seed: number;
}

/**
 * Opens a run (read-only unless asked), with the plugin set and seed its manifest records; each
 * batch read is checked against its hash unless `verify` is false (`--no-verify`).
 */
export function openRun(
  file: string,
  { writable = false, verify = true }: { writable?: boolean; verify?: boolean } = {},
): {
  store: SqliteStore;
  manifest: RunManifest;
  plugins: Plugin[];
} {
  const store = openRunFile(file, { writable, verify });
  return { store, ...pluginsOfRun(store, file) };
}

/**
 * A run kept in PostgreSQL (`postgres://…#<id>`), read-only, with its manifest's plugin set; each
 * batch read is checked against its leaf unless `verify` is false (`--no-verify`).
 */
export function openPostgresRun(
  address: string,
  { verify = true }: { verify?: boolean } = {},
): {
  store: PostgresStore;
  manifest: RunManifest;
  plugins: Plugin[];
} {
  const { url, run } = parseRunAddress(address);
  const store = PostgresStore.open(url, run, { readonly: true, verify });
  noteUnclosed(store.closedCleanly(), runAddress(url, run), store.head());
  return { store, ...pluginsOfRun(store, runAddress(url, run)) };
}

/**
 * A stored run, wherever it is kept: a run file, or a run kept in PostgreSQL
 * (`postgres://…#<id>`), with its manifest's plugin set; read-only.
 */
export function openStoredRun(
  address: string,
  { verify = true }: { verify?: boolean } = {},
): { store: SqliteStore | PostgresStore; manifest: RunManifest; plugins: Plugin[] } {
  return isPostgresUrl(address)
    ? openPostgresRun(address, { verify })
    : openRun(address, { verify });
}

/** A stored run's records alone, wherever it is kept (see {@link openStoredRun}). */
export function openStoredRecords(
  address: string,
  { verify = true }: { verify?: boolean } = {},
): SqliteStore | PostgresStore {
  if (!isPostgresUrl(address)) return openRunFile(address, { verify });
  const { url, run } = parseRunAddress(address);
  const store = PostgresStore.open(url, run, { readonly: true, verify });
  noteUnclosed(store.closedCleanly(), runAddress(url, run), store.head());
  return store;
}

/** The plugin set and seed a run's manifest records, loaded; the store is closed if it has none. */
function pluginsOfRun(
  store: { manifest(): unknown; close(): void },
  name: string,
): { manifest: RunManifest; plugins: Plugin[] } {
  const manifest = store.manifest() as Partial<RunManifest>;
  if (!Array.isArray(manifest.plugins)) {
    store.close();
    throw new CliError(
      `${name} does not say which plugins recorded it (no plugins in its manifest)`,
    );
  }
  const { plugins } = loadPlugins(
    manifest.plugins.map((p) => ({ name: p.from, options: p.options })),
    process.cwd(),
  );
  return { manifest: { plugins: manifest.plugins, seed: manifest.seed ?? 0 }, plugins };
}

/**
 * Opens a run file as every command that reads one does: read-only unless asked, each batch read
 * checked against its hash unless `verify` is false (`--no-verify`), and, once on stderr (so that
 * `--json` output stays whole), a note that the run was never closed if its recording was killed
 * or interrupted.
 */
export function openRunFile(
  file: string,
  { writable = false, verify = true }: { writable?: boolean; verify?: boolean } = {},
): SqliteStore {
  const store = SqliteStore.open(file, { readonly: !writable, verify });
  noteUnclosed(store.status.closedCleanly, file, store.head());
  return store;
}

/** Once on stderr (so that `--json` output stays whole): a run whose recording was cut short. */
function noteUnclosed(closedCleanly: boolean, name: string, records: number): void {
  if (!closedCleanly)
    process.stderr.write(
      `note: ${name} was never closed (its recording was interrupted): it holds the ${records} records committed before\n`,
    );
}

/** The plugin set of a config file, or the default one. */
export function configuredPlugins(configFile: string | undefined): {
  plugins: Plugin[];
  manifest: ManifestPlugin[];
  seed: number;
} {
  const { config, dir } = configFile
    ? loadConfig(configFile)
    : { config: DEFAULT_CONFIG, dir: process.cwd() };
  return {
    ...loadPlugins(config.plugins, dir, configFile ?? 'the default plugin set'),
    seed: config.seed,
  };
}

/**
 * What snapshots of a run's state depend on: its plugins (name, version, options) and seed. Kept
 * snapshots made under another key are not used.
 */
export function snapshotKey(manifest: RunManifest): string {
  const plugins = manifest.plugins.map(({ name, version, options }) => ({
    name,
    version,
    options,
  }));
  return createHash('sha256')
    .update(canonicalJson({ plugins, seed: manifest.seed }))
    .digest('hex');
}

/**
 * A run opened to travel through, as `debug` and `ui` do: its timeline starts from the snapshots
 * kept with it (`chronovisor index`: in the run file, or on the server), within a memory budget.
 */
export function openTimeline(
  file: string,
  options: { verify?: boolean; memory?: number },
): {
  store: SqliteStore | PostgresStore;
  plugins: Plugin[];
  timeline: Timeline;
  kept: KeptSnapshots;
} {
  const { store, manifest, plugins } = openStoredRun(file, { verify: options.verify ?? true });
  try {
    const kept = new KeptSnapshots(store.snapshots, snapshotKey(manifest));
    const timeline = new Timeline(store, plugins, {
      seed: manifest.seed,
      kept,
      ...(options.memory === undefined ? {} : { memoryBudget: options.memory }),
    });
    return { store, plugins, timeline, kept };
  } catch (error) {
    store.close();
    throw error;
  }
}
