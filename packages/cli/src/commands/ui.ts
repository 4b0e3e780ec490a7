import { RunApi, storedRunSource, startUiServer } from '@chronovisor/ui';
import { once } from 'node:events';
import { EXIT } from '../cli-error';
import { output, type Output } from '../output';
import { openTimeline } from '../run-plugins';

/**
 * `chronovisor ui <run.db | postgres://…#id>`: the time-travel web page, served on 127.0.0.1 behind a token until
 * Ctrl-C (or SIGTERM). Read-only: nothing the page does changes the run.
 */
export async function ui(
  file: string,
  options: { port?: number; verify?: boolean; memory?: number },
  out: Output = output,
  /** Resolves when the server should stop: a signal, by default. */
  stop: () => Promise<unknown> = () =>
    Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]),
): Promise<number> {
  const { store, plugins, timeline } = openTimeline(file, options);
  try {
    const api = new RunApi(storedRunSource(file, store), timeline, plugins);
    const server = await startUiServer({
      api,
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    out.line(`Serving ${file} (${timeline.head} records) on ${server.url}`);
    out.line('Open that address in a browser (it holds the token). Ctrl-C stops.');
    await stop();
    await server.close();
    return EXIT.ok;
  } finally {
    store.close();
  }
}
