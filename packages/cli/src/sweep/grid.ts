import { Projector, canonicalJson } from '@chronovisor/core';
import * as path from 'node:path';
import { z } from 'zod';
import { CliError } from '../cli-error';
import {
  DEFAULT_CONFIG,
  checkedBy,
  loadConfig,
  readJsonFile,
  type ChronovisorConfig,
  type PluginEntry,
} from '../config';
import { loadPlugins } from '../plugin-loader';
import { loadScenario } from '../scenario-loader';

const axisValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

/**
 * A grid file: a scenario and plugin set, and axes whose values are crossed into cells. An axis is
 * `seed`, `scenario`, or `<plugin>.<option path>` (the plugin by its name in the set, its package
 * or path, or its short name, the prefix its manifest declares).
 */
export const gridSchema = z.strictObject({
  /** Names the sweep; default the grid file's name. */
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, _, . and - only')
    .optional(),
  /** The scenario, as `chronovisor run` takes it (relative to the grid file); or a `scenario` axis. */
  scenario: z.string().min(1).optional(),
  /** The plugin set (relative to the grid file); default the scenario's own config. */
  config: z.string().min(1).optional(),
  axes: z
    .record(z.string().min(1), z.array(axisValue).min(1, 'an axis needs at least one value'))
    .refine((axes) => Object.keys(axes).length > 0, 'a grid needs at least one axis'),
});

export type GridFile = z.output<typeof gridSchema>;

/** What a worker runs for a cell: every path relative to the directory the sweep was made in. */
export interface CellSpec {
  readonly scenario: string;
  readonly plugins: readonly PluginEntry[];
  readonly seed: number;
  readonly digestInterval?: number;
}

/** A cell of a grid: its values on each axis, and what to run. */
export interface Cell {
  readonly cell: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly spec: CellSpec;
}

/** A grid read, checked and crossed into cells. */
export interface Grid {
  readonly name: string;
  readonly file: string;
  readonly grid: GridFile;
  readonly cells: readonly Cell[];
}

/**
 * Reads a grid file and crosses its axes into cells, checking every cell as `chronovisor run`
 * would before anything is queued: its scenario exists and every plugin takes its options. Paths
 * in the cells are relative to `cwd`, the directory workers are started in.
 */
export function loadGrid(file: string, cwd = process.cwd()): Grid {
  const grid = checkedBy(gridSchema, readJsonFile(file, 'Grid file'), `Grid ${file}`);
  const dir = path.dirname(path.resolve(file));
  const axes = Object.entries(grid.axes);
  if (grid.scenario === undefined && grid.axes.scenario === undefined)
    throw new CliError(`Grid ${file} names no scenario: give "scenario", or a "scenario" axis`);
  const relative = (p: string) => path.relative(cwd, path.resolve(dir, p)) || '.';
  const checked = new Set<string>(); // plugin sets checked, by their canonical JSON
  const shortNames = new ShortNames(cwd);
  const configs = new Map<string, ReturnType<typeof configOf>>();
  const cells = crossed(axes).map((values, cell): Cell => {
    const params = Object.fromEntries(values);
    const where = `Grid ${file}, cell ${cell} (${describe(params)})`;
    const scenarioArg = typeof params.scenario === 'string' ? params.scenario : grid.scenario;
    if (typeof scenarioArg !== 'string')
      throw new CliError(`${where}: a scenario is a path, not ${JSON.stringify(params.scenario)}`);
    const scenario = relative(scenarioArg);
    // Each scenario's config is found once, not once a cell (a scenario axis crosses many).
    let found = configs.get(scenario);
    if (!found) configs.set(scenario, (found = configOf(grid.config, dir, scenario, cwd, where)));
    const { config, configDir } = found;
    const plugins = config.plugins.map((e) => withPathFrom(e, configDir, cwd));
    const options = axes.filter(([axis]) => axis !== 'seed' && axis !== 'scenario');
    for (const [axis] of options) setOption(plugins, axis, params[axis], where, shortNames);
    const seed = params.seed ?? config.seed;
    if (!Number.isSafeInteger(seed) || (seed as number) < 0)
      throw new CliError(`${where}: a seed is an integer from 0, not ${JSON.stringify(seed)}`);
    const key = canonicalJson(plugins);
    if (!checked.has(key)) {
      try {
        new Projector(loadPlugins(plugins, cwd, where).plugins);
      } catch (error) {
        throw new CliError(
          error instanceof CliError ? error.message : `${where}: ${(error as Error).message}`,
        );
      }
      checked.add(key);
    }
    return {
      cell,
      params,
      spec: {
        scenario,
        plugins,
        seed: seed as number,
        ...(config.digestInterval === undefined ? {} : { digestInterval: config.digestInterval }),
      },
    };
  });
  return { name: grid.name ?? path.basename(file).replace(/\.json$/, ''), file, grid, cells };
}

/** Every combination of the axes' values, the last axis varying fastest. */
function crossed(axes: readonly [string, readonly unknown[]][]): [string, unknown][][] {
  let combos: [string, unknown][][] = [[]];
  for (const [axis, values] of axes)
    combos = combos.flatMap((combo) =>
      values.map((v): [string, unknown][] => [...combo, [axis, v]]),
    );
  return combos;
}

const describe = (params: Readonly<Record<string, unknown>>): string =>
  Object.entries(params)
    .map(([axis, v]) => `${axis}=${JSON.stringify(v)}`)
    .join(', ');

/** A cell's plugin set: the grid's config, else its scenario's, else the default. */
function configOf(
  gridConfig: string | undefined,
  gridDir: string,
  scenario: string,
  cwd: string,
  where: string,
): { config: ChronovisorConfig; configDir: string } {
  let file: string | undefined;
  try {
    file =
      gridConfig === undefined
        ? loadScenario(scenario, cwd).config
        : path.resolve(gridDir, gridConfig);
  } catch (error) {
    throw new CliError(`${where}: ${(error as Error).message}`);
  }
  if (file === undefined) return { config: DEFAULT_CONFIG, configDir: cwd };
  const { config, dir } = loadConfig(file);
  return { config, configDir: dir };
}

/** A plugin entry whose path (if it is one) is made relative to `cwd`, as workers resolve it. */
function withPathFrom(entry: PluginEntry, configDir: string, cwd: string): PluginEntry {
  const spec = typeof entry === 'string' ? entry : entry.name;
  if (!spec.startsWith('.') && !path.isAbsolute(spec)) return entry;
  const name = `./${path.relative(cwd, path.resolve(configDir, spec))}`;
  return typeof entry === 'string' ? name : { ...entry, name };
}

/**
 * Sets `<plugin>.<option path>` in the set's entries: the plugin named by its entry (package or
 * path) or by its short name (its event types' prefix, `heap`), the option path split at dots.
 */
function setOption(
  plugins: PluginEntry[],
  axis: string,
  value: unknown,
  where: string,
  shortNames: ShortNames,
): void {
  const names = plugins.map((entry, i) => {
    const spec = typeof entry === 'string' ? entry : entry.name;
    const short = shortNames.of(entry);
    return { i, names: short === undefined ? [spec] : [spec, short] };
  });
  const match = names
    .flatMap(({ i, names }) => names.filter((n) => axis.startsWith(`${n}.`)).map((n) => ({ i, n })))
    .sort((a, b) => b.n.length - a.n.length)[0];
  if (!match)
    throw new CliError(
      `${where}: axis "${axis}" names no plugin of the set (${names.map((n) => n.names.at(-1)).join(', ')}); an axis is seed, scenario or <plugin>.<option>`,
    );
  const entry = plugins[match.i]!;
  // A copy (options are JSON): the set's other cells keep theirs.
  const options = JSON.parse(
    JSON.stringify(typeof entry === 'string' ? {} : (entry.options ?? {})),
  ) as Record<string, unknown>;
  const keys = axis.slice(match.n.length + 1).split('.');
  let at = options;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at = at[key] = typeof next === 'object' && next !== null ? { ...next } : {};
  }
  at[keys.at(-1)!] = value;
  plugins[match.i] = { name: typeof entry === 'string' ? entry : entry.name, options };
}

/** Plugins' short names (their manifests' prefixes: `heap`), by the package or path they load from, found once. */
class ShortNames {
  private readonly known = new Map<string, string | undefined>();

  constructor(private readonly cwd: string) {}

  /** The short name of an entry's plugin (loaded with the entry's own options). */
  of(entry: PluginEntry): string | undefined {
    const spec = typeof entry === 'string' ? entry : entry.name;
    if (!this.known.has(spec)) {
      let name: string | undefined;
      try {
        name = loadPlugins([entry], this.cwd).plugins[0]!.manifest.prefix;
      } catch {
        // a plugin that cannot load is named by its failure when the set is checked
      }
      this.known.set(spec, name);
    }
    return this.known.get(spec);
  }
}
