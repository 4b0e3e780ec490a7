import {
  Projector,
  Simulation,
  Xoshiro128StarStar,
  type EventTypeRegistry,
} from '@chronovisor/core';
import { summarizeRun } from '@chronovisor/replay';
import { SqliteStore, formatHead } from '@chronovisor/store';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CliError, EXIT } from '../cli-error';
import { DEFAULT_CONFIG, loadConfig } from '../config';
import { invoked, output, table, type Output } from '../output';
import { loadPlugins } from '../plugin-loader';

import { progressBar } from '../progress-bar';
import { checkEvery, describeKept, keepSnapshots } from './index-run';
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
}

/** `chronovisor run <scenario>`: records a scenario into a run file and summarizes it. */
export async function run(
  scenarioArg: string,
  options: RunOptions,
  out: Output = output,
): Promise<number> {
  if (typeof options.index === 'number') checkEvery(options.index, '--index');
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
  const {
    file,
    store,
    output: runFile,
  } = createRunFile(options, scenario.name, seed, {
    scenario: scenario.name,
    plugins: manifest,
    digestInterval: config.digestInterval ?? null,
  });
  const started = performance.now();
  let eventTypes: EventTypeRegistry;
  try {
    const bar = progressBar('recording', options);
    const sim = new Simulation({
      plugins,
      seed,
      store,
      ...(config.digestInterval === undefined ? {} : { digestInterval: config.digestInterval }),
    });
    eventTypes = sim.eventTypes;
    const watch = sim.records$.subscribe((r) => {
      if (r.seq % 16_384 === 0) bar.update(r.seq);
    });
    await scenario.run(sim, { seed, rng: new Xoshiro128StarStar(seed) });
    watch.unsubscribe();
    bar.finish();
    sim.close();
  } catch (error) {
    store.close(); // what was recorded stays recorded, under its partial name
    const at = scenario.file ? locationIn(error, scenario.file) : undefined;
    throw new CliError(
      `Scenario ${scenario.name} failed after recording ${store.head()} records, kept in ${runFile.partial}` +
        `${existsSync(file) ? ` (${file} is as it was)` : ''}: ${(error as Error).message}` +
        (at ? ` (at ${at})` : ''),
    );
  }
  store.close();
  runFile.commit();
  const seconds = (performance.now() - started) / 1000;
  const kept =
    options.index === undefined || options.index === false
      ? undefined
      : keepSnapshots(
          file,
          options.index === true ? undefined : options.index,
          progressBar('indexing', options),
        );

  const reopened = SqliteStore.open(file, { readonly: true });
  const summary = summarizeRun(reopened, eventTypes);
  const byPlugin = byPluginOf(summary.byType);
  // The final head, for the user to keep: `verify --head` proves later that the file still extends it.
  const head = reopened.committed() > 0 ? formatHead(reopened.treeHead()) : undefined;
  reopened.close();
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
