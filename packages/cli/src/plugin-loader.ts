import type { Plugin } from '@chronovisor/core';
import * as path from 'node:path';
import { CliError } from './cli-error';
import type { PluginEntry } from './config';

/** A plugin of the set as the run manifest records it: enough to load it again for replay. */
export interface ManifestPlugin {
  readonly name: string;
  readonly version: string;
  /** Where it was loaded from (package name or absolute path). */
  readonly from: string;
  readonly options: Record<string, unknown>;
}

/**
 * Loads each plugin of a config: an npm package name or a path (to a folder or module, relative to
 * `baseDir`). A plugin module's default export is its factory, `(options) => Plugin` (or a Plugin).
 */
export function loadPlugins(
  entries: readonly PluginEntry[],
  baseDir: string,
  source = 'the plugin set',
): { plugins: Plugin[]; manifest: ManifestPlugin[] } {
  const plugins: Plugin[] = [];
  const manifest: ManifestPlugin[] = [];
  for (const entry of entries) {
    const spec = typeof entry === 'string' ? entry : entry.name;
    const options = typeof entry === 'string' ? {} : (entry.options ?? {});
    const from = spec.startsWith('.') || path.isAbsolute(spec) ? path.resolve(baseDir, spec) : spec;
    let exported: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- plugins are packages named at run time
      exported = require(
        require.resolve(from, { paths: [baseDir, process.cwd(), __dirname] }),
      ) as unknown;
    } catch (error) {
      throw new CliError(
        `Plugin "${spec}" cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    const factory = (exported as { default?: unknown }).default ?? exported;
    let plugin: unknown;
    try {
      plugin =
        typeof factory === 'function' ? (factory as (o: unknown) => Plugin)(options) : factory;
    } catch (error) {
      throw new CliError(
        `Plugin "${spec}" in ${source} refused its options: ${(error as Error).message}`,
      );
    }
    if (!isPlugin(plugin)) {
      throw new CliError(
        `"${spec}" is not a Chronovisor plugin: its default export must be a plugin factory, (options) => Plugin`,
      );
    }
    plugins.push(plugin);
    manifest.push({ name: plugin.manifest.name, version: plugin.manifest.version, from, options });
  }
  return { plugins, manifest };
}

function isPlugin(value: unknown): value is Plugin {
  const p = value as Plugin | undefined;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.manifest?.name === 'string' &&
    typeof p.module === 'object'
  );
}
