import { satisfies } from 'semver';
import { ChronovisorError } from './errors';
import type { Plugin } from './plugin';

/** What is wrong with a plugin set. */
export type PluginSetProblem = 'missing' | 'duplicate' | 'cycle' | 'incompatible' | 'conflict';

/** A plugin set that cannot run; the message names both sides of the problem. */
export class PluginSetError extends ChronovisorError {
  constructor(
    readonly problem: PluginSetProblem,
    message: string,
  ) {
    super(message);
  }
}

const label = (plugin: Plugin): string => `"${plugin.manifest.name}"@${plugin.manifest.version}`;

/**
 * The plugin set in dependency order (each plugin after those it requires; otherwise in the order
 * given), or a {@link PluginSetError} for a missing, duplicate, cyclic or version-incompatible
 * plugin.
 */
export function orderPlugins(plugins: readonly Plugin[]): Plugin[] {
  const byName = new Map<string, Plugin>();
  for (const plugin of plugins) {
    const other = byName.get(plugin.manifest.name);
    if (other) {
      throw new PluginSetError(
        'duplicate',
        `Plugin "${plugin.manifest.name}" is in the plugin set twice: @${other.manifest.version} and @${plugin.manifest.version}`,
      );
    }
    byName.set(plugin.manifest.name, plugin);
  }

  for (const plugin of plugins) {
    for (const [name, range] of Object.entries(plugin.manifest.requires ?? {})) {
      const required = byName.get(name);
      if (!required) {
        throw new PluginSetError(
          'missing',
          `Plugin ${label(plugin)} requires "${name}" ${range}, which is not in the plugin set`,
        );
      }
      if (!satisfies(required.manifest.version, range, { includePrerelease: true })) {
        throw new PluginSetError(
          'incompatible',
          `Plugin ${label(plugin)} requires "${name}" ${range}, but the plugin set has ${label(required)}`,
        );
      }
    }
  }

  const ordered: Plugin[] = [];
  const done = new Set<Plugin>();
  const path: Plugin[] = [];
  const visit = (plugin: Plugin): void => {
    if (done.has(plugin)) return;
    const start = path.indexOf(plugin);
    if (start >= 0) throw cycleError([...path.slice(start), plugin]);
    path.push(plugin);
    for (const name of Object.keys(plugin.manifest.requires ?? {})) visit(byName.get(name)!);
    path.pop();
    done.add(plugin);
    ordered.push(plugin);
  };
  plugins.forEach(visit);
  return ordered;
}

function cycleError(cycle: readonly Plugin[]): PluginSetError {
  const links = cycle.slice(0, -1).map((plugin, i) => {
    const next = cycle[i + 1]!.manifest.name;
    return `${label(plugin)} requires "${next}" ${plugin.manifest.requires![next]}`;
  });
  return new PluginSetError('cycle', `Plugins require each other in a cycle: ${links.join(', ')}`);
}
