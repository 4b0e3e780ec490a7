import { replayState } from '@chronovisor/replay';
import { output, verdict, type Output } from '../output';
import { progressBar } from '../progress-bar';
import { openStoredRun } from '../run-plugins';

/** `chronovisor replay <run.db | postgres://…#id>`: rebuilds the state from the events with the run's own plugin set, checking every digest. */
export function replay(
  file: string,
  options: { json?: boolean; quiet?: boolean; verify?: boolean },
  out: Output = output,
): number {
  const { store, manifest, plugins } = openStoredRun(file, { verify: options.verify ?? true });
  try {
    const bar = progressBar('replaying', options);
    const report = replayState(store, plugins, {
      seed: manifest.seed,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.finish();
    return verdict(out, options.json, report);
  } finally {
    store.close();
  }
}
