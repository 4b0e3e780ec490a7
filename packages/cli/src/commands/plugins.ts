import { NullStore, Simulation } from '@chronovisor/core';
import { EXIT } from '../cli-error';
import { output, table, type Output } from '../output';
import { configuredPlugins } from '../run-plugins';

/** `chronovisor plugins [--config f]`: the plugin set, with versions, requirements, commands and event types. */
export function plugins(
  options: { config?: string; json?: boolean },
  out: Output = output,
): number {
  const { plugins: set } = configuredPlugins(options.config);
  const sim = new Simulation({ plugins: set, store: new NullStore() });
  const listed = sim.plugins.map((p) => ({
    name: p.plugin.manifest.name,
    version: p.plugin.manifest.version,
    description: p.plugin.manifest.description ?? '',
    requires: p.plugin.manifest.requires ?? {},
    commands: p.commands,
    events: p.events,
    queries: p.queries,
  }));
  sim.close();
  if (options.json) {
    out.json(listed);
    return EXIT.ok;
  }
  for (const p of listed) {
    out.heading(`${p.name}@${p.version}  ${p.description}`);
    const requires = Object.entries(p.requires).map(([n, r]) => `${n} ${r}`);
    out.line(
      table(
        ['', ''],
        [
          ['requires', requires.join(', ') || '(nothing)'],
          ['commands', p.commands.join(', ')],
          ['events', p.events.join(', ')],
          ['queries', p.queries.join(', ')],
        ],
      ),
    );
  }
  return EXIT.ok;
}
