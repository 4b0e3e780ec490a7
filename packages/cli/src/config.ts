import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CliError } from './cli-error';

const pluginEntry = z.union([
  z.string().min(1),
  z
    .object({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() })
    .strict(),
]);

/** `chronovisor.config.json`: the plugin set as data, the seed and the store. The API takes the same shape. */
export const configSchema = z
  .object({
    /** Package names or paths (relative to the config file), each with its options. */
    plugins: z.array(pluginEntry).min(1),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    store: z
      .object({ kind: z.enum(['sqlite', 'memory']).default('sqlite') })
      .strict()
      .default({ kind: 'sqlite' }),
    /** Records between recorded state digests. */
    digestInterval: z.number().int().min(0).optional(),
  })
  .strict();

/** A checked config, with defaults filled in. */
export type ChronovisorConfig = z.output<typeof configSchema>;
/** One plugin of a config: a name or path, or one with options. */
export type PluginEntry = z.output<typeof pluginEntry>;

/** The config used when a scenario names none: the MMU alone. */
export const DEFAULT_CONFIG: ChronovisorConfig = {
  plugins: ['@chronovisor/mmu'],
  seed: 0,
  store: { kind: 'sqlite' },
};

/** Reads and checks a config file; every mistake names the file and the field. */
export function loadConfig(file: string): { config: ChronovisorConfig; dir: string } {
  const raw = readJsonFile(file, 'Config file');
  return { config: parseConfig(raw, file), dir: path.dirname(path.resolve(file)) };
}

/** Checks a config value; `source` names it in errors. */
export function parseConfig(raw: unknown, source: string): ChronovisorConfig {
  return checkedBy(configSchema, raw, `Config ${source}`);
}

/** A JSON file a user wrote (`what` it is: `Config file`), named in its errors. */
export function readJsonFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new CliError(`${what} ${file} does not exist`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${what} ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A value checked by a schema; each mistake named by its field (`what` names the value). */
export function checkedBy<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.output<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`,
  );
  throw new CliError(`${what} is invalid: ${issues.join('; ')}`);
}
