import { replayState } from '@chronovisor/replay';
import { EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { progressBar } from '../progress-bar';
import { openRun } from '../run-plugins';

/** `chronovisor replay <run.db>`: rebuilds the state from the events with the run's own plugin set, checking every digest. */
export function replay(
  file: string,
  options: { json?: boolean; quiet?: boolean },
  out: Output = output,
): number {
  const { store, manifest, plugins } = openRun(file);
  try {
    const bar = progressBar('replaying', options);
    const report = replayState(store, plugins, {
      seed: manifest.seed,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.finish();
    if (options.json) out.json(report);
    else if (report.ok) out.success(report.message);
    else out.failure(report.message);
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    store.close();
  }
}
