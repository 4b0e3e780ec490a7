import { reexecute } from '@chronovisor/replay';
import { EXIT } from '../cli-error';
import { output, table, type Output } from '../output';
import { progressBar } from '../progress-bar';
import { configuredPlugins, openRun } from '../run-plugins';

/**
 * `chronovisor reexec <run.db> [--config other.json]`: the run's commands on another plugin set,
 * or without `--config` on the run's own (the determinism check); exit 1 at the first divergence,
 * saying why.
 */
export function reexec(
  file: string,
  options: { config?: string; json?: boolean; verify?: boolean },
  out: Output = output,
): number {
  const { store, manifest, plugins } = openRun(file, { verify: options.verify ?? true });
  try {
    const other = options.config ? configuredPlugins(options.config) : { plugins };
    const bar = progressBar('re-executing', options);
    const report = reexecute(store, other.plugins, {
      seed: manifest.seed,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.finish();
    if (options.json) {
      out.json(report);
    } else {
      if (report.identical) out.success(report.message);
      else out.failure(report.message);
      const types = [
        ...new Set([
          ...Object.keys(report.recorded.byType),
          ...Object.keys(report.reexecuted.byType),
        ]),
      ].sort();
      const row = (name: string, a?: string | number, b?: string | number) => [
        name,
        String(a ?? 0),
        String(b ?? 0),
      ];
      out.line(
        table(
          ['', 'recorded', 're-executed'],
          [
            row('records', report.recorded.records, report.reexecuted.records),
            row('refused commands', report.recorded.rejections, report.reexecuted.rejections),
            row('violations', report.recorded.violations, report.reexecuted.violations),
            row('faults', report.recorded.faults, report.reexecuted.faults),
            ...types.map((t) => row(t, report.recorded.byType[t], report.reexecuted.byType[t])),
            row(
              'final digest',
              report.recorded.finalDigest?.slice(0, 16),
              report.reexecuted.finalDigest?.slice(0, 16),
            ),
          ],
        ),
      );
    }
    return report.identical ? EXIT.ok : EXIT.failed;
  } finally {
    store.close();
  }
}
