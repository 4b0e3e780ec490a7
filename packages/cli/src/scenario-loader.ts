import type { Rng, Simulation } from '@chronovisor/core';
import { existsSync, readFileSync, statSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { reviveBytes } from '@chronovisor/store';
import { CliError } from './cli-error';

/**
 * What a scenario gets beside the simulation: the run's seed, and an RNG seeded by it for the
 * scenario's own choices. It is not the simulation's: re-executing a run replays its recorded
 * commands without the scenario, so a scenario drawing from the simulation's RNG would change
 * what the plugins draw.
 */
export interface ScenarioContext {
  readonly seed: number;
  readonly rng: Rng;
}

/** What a scenario module exports: a function that drives a simulation. */
export type ScenarioFunction = (
  simulation: Simulation,
  context: ScenarioContext,
) => void | Promise<void>;

/** A scenario ready to run, and the config that comes with it, if any. */
export interface Scenario {
  readonly name: string;
  readonly run: ScenarioFunction;
  /** The scenario's own file (a module's, or a folder's declared one). */
  readonly file?: string;
  /** The config file beside the scenario (`chronovisor.config.json` in its folder). */
  readonly config?: string;
}

interface CommandLine {
  type: string;
  args: unknown;
  actor?: string;
}

/**
 * A scenario from the command line: a `.ts` or `.js` module whose default export drives a
 * `Simulation`, a `.json` array or `.ndjson` lines of commands (`{type, args, actor?}`, bytes
 * written as an export writes them, `{"$bytes": "<base64>"}`), or a
 * folder whose package.json names its scenario (`"chronovisor": {"scenario": "src/scenario.ts"}`).
 */
export function loadScenario(arg: string, cwd = process.cwd()): Scenario {
  const file = path.resolve(cwd, arg);
  if (!existsSync(file)) throw new CliError(`Scenario ${arg} does not exist`);
  if (statSync(file).isDirectory()) return loadFolder(file);
  const name = path.basename(file).replace(/\.(ts|js|json|ndjson)$/, '');
  const beside = path.join(path.dirname(file), 'chronovisor.config.json');
  const config = existsSync(beside) && beside !== file ? { config: beside } : {};
  if (file.endsWith('.json') || file.endsWith('.ndjson'))
    return { name, run: commandsOf(file), ...config };
  if (file.endsWith('.ts')) registerTypeScript(file);
  resolveProjectPackages();
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- scenarios are user modules loaded at run time
    exported = require(file) as unknown;
  } catch (error) {
    throw new CliError(`Scenario ${arg} cannot be loaded: ${loadError(error as Error, file)}`);
  }
  const run = (exported as { default?: unknown }).default ?? exported;
  if (typeof run !== 'function')
    throw new CliError(
      `Scenario ${arg} must export a function (simulation) => void as its default export`,
    );
  return { name, run: run as ScenarioFunction, file, ...config };
}

/**
 * Why a scenario did not load, in one line: the compiler's diagnostics as `file:line:column:
 * message` (ts-node reports `file(line,col)` under a heading line), else the error's first line
 * and where in the scenario it arose.
 */
function loadError(error: Error, file: string): string {
  const [first = '', ...rest] = error.message.split('\n').filter((l) => l.trim() !== '');
  if (/Unable to compile TypeScript/.test(first) && rest.length > 0)
    return rest.map((l) => l.replace(/^(.+?)\((\d+),(\d+)\): /, '$1:$2:$3: ')).join('; ');
  const at = locationIn(error, file);
  return `${first}${at ? ` (at ${at})` : ''}`;
}

/** `file:line:column` of the deepest frame of `error`'s stack in `file`, if any. */
export function locationIn(error: unknown, file: string): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const line of stack.split('\n')) {
    const match = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (match && match[1]!.replace(/^file:\/\//, '') === file)
      return `${path.relative(process.cwd(), file) || file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

let resolving = false;

/**
 * Lets a scenario anywhere require the project's packages (`@chronovisor/…`): where its own folder
 * does not resolve one (a scenario outside the repository), it resolves as this command does.
 * Through Node's resolver hook, as module-alias and tsconfig-paths do.
 */
function resolveProjectPackages(): void {
  if (resolving) return;
  resolving = true;
  const resolver = Module as unknown as {
    _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string;
  };
  const original = resolver._resolveFilename.bind(resolver);
  resolver._resolveFilename = (request, parent, ...rest) => {
    try {
      return original(request, parent, ...rest);
    } catch (error) {
      if (!request.startsWith('@chronovisor/')) throw error;
      return original(request, module); // as this module would resolve it
    }
  };
}

function loadFolder(dir: string): Scenario {
  const manifest = path.join(dir, 'package.json');
  const declared = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { chronovisor?: { scenario?: string } })
        .chronovisor?.scenario
    : undefined;
  if (!declared)
    throw new CliError(
      `Folder ${dir} has no scenario: its package.json needs "chronovisor": {"scenario": "<file>"}`,
    );
  const scenario = loadScenario(path.join(dir, declared));
  const config = path.join(dir, 'chronovisor.config.json');
  return { ...scenario, name: path.basename(dir), ...(existsSync(config) ? { config } : {}) };
}

function commandsOf(file: string): ScenarioFunction {
  const text = readFileSync(file, 'utf8');
  const commands: { line: number; command: CommandLine }[] = [];
  const check = (value: unknown, where: string, line: number) => {
    const c = value as CommandLine;
    if (typeof c !== 'object' || c === null || typeof c.type !== 'string' || !('args' in c)) {
      throw new CliError(
        `${where}: expected a command {"type": "...", "args": {...}, "actor"?: "..."}`,
      );
    }
    commands.push({ line, command: c });
  };
  if (file.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text, reviveBytes);
    } catch (error) {
      throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(value)) throw new CliError(`${file}: expected an array of commands`);
    value.forEach((c, i) => check(c, `${file}: command ${i + 1}`, i + 1));
  } else {
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line, reviveBytes);
      } catch (error) {
        throw new CliError(`${file}:${i + 1}: not JSON (${(error as Error).message})`);
      }
      check(value, `${file}:${i + 1}`, i + 1);
    });
  }
  return (sim) => {
    for (const { command } of commands)
      sim.dispatch(command.type, command.args, command.actor ? { actor: command.actor } : {});
  };
}

let registered = false;
/** Lets `require` load TypeScript scenarios, through ts-node (transpile only: the scenario is the user's to type-check). */
function registerTypeScript(file: string): void {
  if (registered) return;
  registered = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a .ts scenario is run
  const tsNode = require('ts-node') as typeof import('ts-node');
  tsNode.register({
    transpileOnly: true,
    compilerOptions: {
      module: 'commonjs',
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      target: 'es2022',
    },
    dir: path.dirname(file),
  });
}
