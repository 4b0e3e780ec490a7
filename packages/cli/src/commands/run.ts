import { Projector, type EventTypeRegistry, type Store } from '@chronovisor/core';
import { summarizeRun } from '@chronovisor/replay';
import { SqliteStore, formatHead } from '@chronovisor/store';
import { PostgresStore, isPostgresUrl, runAddress } from '@chronovisor/store-postgres';
import { existsSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error';
import { DEFAULT_CONFIG, loadConfig } from '../config';
import { invoked, output, table, type Output } from '../output';
import { loadPlugins } from '../plugin-loader';

import { progressBar } from '../progress-bar';
import { recordScenario, type Recorded } from '../record-scenario';
import { checkEvery, describeKept, keepSnapshots } from './index-run';
import { readKey } from '../keys';
import { createRunFile, type RunFileOptions } from '../run-file';
import { loadScenario, locationIn } from '../scenario-loader';

/** The options of `chronovisor run`. */
export interface RunOptions extends RunFileOptions {
  readonly config?: string;
  readonly seed?: number;
  readonly json?: boolean;
  readonly quiet?: boolean;
  /** Keep snapshots in the file once recorded (`true`: the run cut in 128; a number: records apart). */
  readonly index?: boolean | number;
  /** Exit 1 if any command was refused. */
  readonly strict?: boolean;
  /** A PostgreSQL server (`postgres://…`) to record into, instead of a run file. */
  readonly store?: string;
}

/** `chronovisor run <scenario>`: records a scenario into a run file and summarizes it. */
export async function run(
  scenarioArg: string,
  options: RunOptions,
  out: Output = output,
): Promise<number> {
  if (typeof options.index === 'number') checkEvery(options.index, '--index');
  if (options.store !== undefined) checkStoreOption(options);
  const scenario = loadScenario(scenarioArg);
  const configFile = options.config ?? scenario.config;
  const { config, dir } = configFile
    ? loadConfig(configFile)
    : { config: DEFAULT_CONFIG, dir: process.cwd() };
  const seed = options.seed ?? config.seed;
  const { plugins, manifest } = loadPlugins(
    config.plugins,
    dir,
    configFile ?? 'the default plugin set',
  );
  new Projector(plugins); // a plugin set that cannot load is refused before any file is made
  const runManifest = {
    scenario: scenario.name,
    plugins: manifest,
    digestInterval: config.digestInterval ?? null,
  };
  const {
    file,
    store,
    output: runFile,
  } = options.store === undefined
    ? createRunFile(options, scenario.name, seed, runManifest)
    : createPostgresRun(options.store, options, scenario.name, seed, runManifest);
  let recorded: Recorded;
  try {
    const bar = progressBar('recording', options);
    recorded = await recordScenario(scenario, {
      plugins,
      seed,
      store,
      ...(config.digestInterval === undefined ? {} : { digestInterval: config.digestInterval }),
      progress: (records) => bar.update(records),
    });
    bar.finish();
  } catch (error) {
    store.close(); // what was recorded stays recorded, under its partial name
    const at = scenario.file ? locationIn(error, scenario.file) : undefined;
    throw new CliError(
      `Scenario ${scenario.name} failed after recording ${store.head()} records, kept in ${runFile?.partial ?? file}` +
        `${runFile && existsSync(file) ? ` (${file} is as it was)` : ''}: ${(error as Error).message}` +
        (at ? ` (at ${at})` : ''),
    );
  }
  const { eventTypes, seconds } = recorded;
  store.close();
  runFile?.commit();
  const kept =
    options.index === undefined || options.index === false
      ? undefined
      : keepSnapshots(
          file,
          options.index === true ? undefined : options.index,
          progressBar('indexing', options),
        );

  const { summary, head } = summarized(
    options.store === undefined ? file : options.store,
    store,
    eventTypes,
  );
  const byPlugin = byPluginOf(summary.byType);
  if (options.json) {
    out.json({
      file,
      seed,
      config: configFile ?? null,
      seconds,
      eventsPerSecond: summary.events / seconds,
      ...summary,
      byPlugin,
      ...(head ? { head } : {}),
      ...(kept ? { kept } : {}),
    });
    return verdictOf(summary.rejections, options.strict);
  }
  out.heading(`Recorded ${scenario.name} → ${file}`);
  out.line(
    table(
      ['plugin', 'type', 'records'],
      Object.entries(byPlugin).flatMap(([plugin, types]) =>
        Object.entries(types)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([type, n]) => [plugin, type, String(n)]),
      ),
    ),
  );
  out.line(
    table(
      ['', ''],
      [
        ['records', `${summary.records} (${summary.commands} commands, ${summary.events} events)`],
        ['refused commands', String(summary.rejections)],
        ['faults', String(summary.faults)],
        ['violations', String(summary.violations)],
        ['plugin set', configFile ?? 'the default (no chronovisor.config.json found)'],
        ['seed', String(seed)],
        ['final digest', summary.finalDigest ?? '(none)'],
        ['tree head', head ?? '(none)'],
        ['wall time', `${seconds.toFixed(2)} s`],
        ['events/s', Math.round(summary.events / seconds).toLocaleString('en-US')],
      ],
    ),
  );
  if (summary.rejections > 0) {
    out.line(`Refused commands (the run goes on past them; --strict makes them an error):`);
    for (const r of summary.refusals)
      out.line(`  seq ${r.seq}  ${r.type}  ${r.error}: ${r.message.split('\n')[0]}`);
    const more = summary.rejections - summary.refusals.length;
    if (more > 0) out.line(`  … and ${more} more (chronovisor stats ${file})`);
    out.line('');
  }
  if (kept) out.line(describeKept(file, kept));
  out.line('Next:');
  out.line(`  ${invoked} replay ${file}    # rebuild the state, checking every recorded digest`);
  out.line(`  ${invoked} verify ${file}    # check the audit chain, batch by batch`);
  if (head)
    out.line(
      `  ${invoked} verify ${file} --head ${head}    # later: the file still holds what it held now`,
    );
  out.line(
    `  ${invoked} debug ${file}     # travel in time: seek, step, run backwards to watchpoints`,
  );
  out.line(
    `  ${invoked} ui ${file}        # the same on a web page: timeline, memory map, hex view`,
  );
  return verdictOf(summary.rejections, options.strict);
}

/**
 * The run's summary, read back, and its final tree head, for the user to keep: `verify --head`
 * proves later that the run still extends it.
 */
function summarized(
  where: string,
  recorded: Store,
  eventTypes: EventTypeRegistry,
): { summary: ReturnType<typeof summarizeRun>; head: string | undefined } {
  if (recorded instanceof PostgresStore) {
    const reopened = PostgresStore.open(where, recorded.run, { readonly: true });
    try {
      const last = reopened.treeHeads().at(-1);
      return { summary: summarizeRun(reopened, eventTypes), head: last && formatHead(last) };
    } finally {
      reopened.close();
    }
  }
  const reopened = SqliteStore.open(where, { readonly: true });
  try {
    const head = reopened.committed() > 0 ? formatHead(reopened.treeHead()) : undefined;
    return { summary: summarizeRun(reopened, eventTypes), head };
  } finally {
    reopened.close();
  }
}

/** `--store` records into PostgreSQL: no run file to name, replace or index. */
function checkStoreOption(options: RunOptions): void {
  if (!isPostgresUrl(options.store!))
    throw new CliError(
      `--store takes a PostgreSQL server (postgres://user@host:port/database), not ${options.store}: a run file is named with --out`,
    );
  const clash = (['out', 'force', 'index'] as const).find(
    (o) => options[o] !== undefined && options[o] !== false,
  );
  if (clash)
    throw new CliError(`--${clash} is for run files: a run recorded with --store has none`);
}

/** A run recorded into the PostgreSQL server at `url`: named `postgres://…#<id>` (password hidden). */
function createPostgresRun(
  url: string,
  options: RunFileOptions,
  name: string,
  seed: number,
  manifest: Record<string, unknown>,
): { file: string; store: PostgresStore; output?: undefined } {
  const signingKey = options.sign ? readKey(options.sign, 'private') : undefined;
  const store = PostgresStore.create(url, {
    name: `${name}-seed${seed}`,
    ...(signingKey ? { signingKey } : {}),
    manifest: { createdBy: '@chronovisor/cli@1.0.0', seed, ...manifest },
  });
  return { file: runAddress(url, store.run), store };
}

/** A run with refused commands is recorded whole; `--strict` makes them its exit code. */
const verdictOf = (rejections: number, strict: boolean | undefined): number =>
  strict && rejections > 0 ? EXIT.failed : EXIT.ok;

/** Type counts grouped by plugin (a type's first word), for the summary table. */
function byPluginOf(
  byType: Readonly<Record<string, number>>,
): Record<string, Record<string, number>> {
  const grouped: Record<string, Record<string, number>> = {};
  for (const [type, n] of Object.entries(byType)) (grouped[type.split('.')[0]!] ??= {})[type] = n;
  return grouped;
}
