import { Projector, Query, type LogRecord } from '@chronovisor/core';
import { CliError, EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { openRun } from '../run-plugins';

/**
 * `chronovisor inspect <run.db> --at SEQ`: the state right after record SEQ, rebuilt by replay:
 * each projection's digest, and what each query with a `stats()` says.
 */
export function inspect(
  file: string,
  options: { at?: number; json?: boolean },
  out: Output = output,
): number {
  const { store, manifest, plugins } = openRun(file);
  try {
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
    const queries = projector.getAll<Query>(Query);
    const summaries = Object.fromEntries(
      queries
        .filter((q) => typeof (q as { stats?: unknown }).stats === 'function')
        .map((q) => [q.name, (q as unknown as { stats(): unknown }).stats()]),
    );
    const state = {
      at,
      record,
      digest: projector.digest(),
      projections: projector.projectionDigests(),
      queries: summaries,
    };
    if (options.json) out.json(state);
    else {
      out.heading(`State after record ${at} of ${file}`);
      out.line(
        `record ${at}: ${last.kind} ${last.type} by ${last.actor} (cause ${last.cause}, tick ${last.tick})`,
      );
      out.line(`digest ${state.digest}`);
      for (const [name, summary] of Object.entries(summaries))
        out.line(`${name}: ${JSON.stringify(summary, null, 2)}`);
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}
