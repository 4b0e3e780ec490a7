import { replayState } from '@chronovisor/replay';
import { SqliteStore } from '@chronovisor/store';
import { CliError, EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { loadPlugins, type ManifestPlugin } from '../plugin-loader';

/** `chronovisor replay <run.db>`: rebuilds the state from the events with the run's own plugin set, checking every digest. */
export function replay(file: string, options: { json?: boolean }, out: Output = output): number {
  const store = SqliteStore.open(file, { readonly: true });
  try {
    const manifest = store.manifest() as { plugins?: ManifestPlugin[]; seed?: number };
    if (!Array.isArray(manifest.plugins))
      throw new CliError(
        `${file} does not say which plugins recorded it (no plugins in its manifest)`,
      );
    const { plugins } = loadPlugins(
      manifest.plugins.map((p) => ({ name: p.from, options: p.options })),
      process.cwd(),
    );
    const report = replayState(store, plugins, { seed: manifest.seed ?? 0 });
    if (options.json) out.json(report);
    else if (report.ok) out.success(report.message);
    else out.failure(report.message);
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    store.close();
  }
}
