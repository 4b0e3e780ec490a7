import { Projector, SummaryLines, type LogRecord } from '@chronovisor/core';
import { CliError, EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { openStoredRun } from '../run-plugins';

/**
 * `chronovisor inspect <run.db | postgres://…#id> --at SEQ`: the state right after record SEQ, rebuilt by replay:
 * each projection's digest, and what each plugin's summary says of that state.
 */
export function inspect(
  file: string,
  options: { at?: number; json?: boolean; verify?: boolean },
  out: Output = output,
): number {
  const { store, manifest, plugins } = openStoredRun(file, { verify: options.verify ?? true });
  try {
    if (store.head() === 0) throw new CliError(`${file} holds no records: nothing to inspect`);
    const at = options.at ?? store.head();
    if (at < 1 || at > store.head())
      throw new CliError(`--at ${at} is outside the run: its records are 1 to ${store.head()}`);
    const projector = new Projector(plugins, manifest.seed);
    let record: LogRecord | undefined;
    for (const r of store.read(1, at)) {
      if (r.kind === 'event') projector.apply(r);
      record = r;
    }
    const last = record!;
    const contributed = projector.getAll<SummaryLines>(SummaryLines);
    const summaries = Object.fromEntries(contributed.map((s) => [s.name, s.summary()]));
    const state = {
      at,
      record,
      digest: projector.digest(),
      projections: projector.projectionDigests(),
      summaries,
    };
    if (options.json) out.json(state);
    else {
      out.heading(`State after record ${at} of ${file}`);
      out.line(
        `record ${at}: ${last.kind} ${last.type} by ${last.actor} (cause ${last.cause}, tick ${last.tick})`,
      );
      out.line(`digest ${state.digest}`);
      for (const summary of contributed) {
        out.line(`${summary.name}:`);
        for (const line of summary.lines()) out.line(`  ${line}`);
      }
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}
