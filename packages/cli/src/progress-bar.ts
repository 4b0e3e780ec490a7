/** Shows progress on a terminal (stderr, redrawn in place); does nothing when not a TTY, or quiet. */
export interface ProgressBar {
  update(done: number, total?: number): void;
  finish(): void;
}

const WIDTH = 30;

/** A progress display labelled `label`, shown only on a terminal and unless quiet or JSON. */
export function progressBar(
  label: string,
  options: { quiet?: boolean; json?: boolean },
): ProgressBar {
  const enabled = process.stderr.isTTY === true && !options.quiet && !options.json;
  let shown = false;
  return {
    update(done, total) {
      if (!enabled) return;
      shown = true;
      const text =
        total === undefined || total === 0
          ? `${label} ${done.toLocaleString('en-US')} records`
          : `${label} [${'#'.repeat(Math.round((WIDTH * done) / total)).padEnd(WIDTH, '.')}] ${Math.floor((100 * done) / total)}%`;
      process.stderr.write(`\r${text}`);
    },
    finish() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}
