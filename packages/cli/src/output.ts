import picocolors from 'picocolors';
import { EXIT } from './cli-error';

// Our own rule, not picocolors' (which also colours whenever CI is set): colour only on a
// terminal, and never when NO_COLOR is set to anything (no-color.org).
export const colours = picocolors.createColors(
  process.stdout.isTTY === true && !process.env.NO_COLOR,
);
const pc = colours;

/**
 * How the user runs this command, for the hints it prints: through npm (`npm start`, `npx`, from a
 * clone of the repository, where `chronovisor` alone is not on the PATH) or installed.
 */
export const invoked = process.env.npm_command ? 'npx chronovisor' : 'chronovisor';

/** Where commands write: people get colour (on a terminal, unless NO_COLOR), scripts get JSON. */
export interface Output {
  line(text: string): void;
  heading(text: string): void;
  success(text: string): void;
  failure(text: string): void;
  json(value: unknown): void;
}

/** The terminal. */
export const output: Output = {
  line: (text) => console.log(text),
  heading: (text) => console.log(pc.bold(text)),
  success: (text) => console.log(`${pc.green('✓')} ${text}`),
  failure: (text) => console.log(`${pc.red('✗')} ${text}`),
  json: (value) =>
    console.log(
      JSON.stringify(
        value,
        (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v),
        2,
      ),
    ),
};

/**
 * Prints a check's verdict (the whole report as JSON, or one ✓/✗ line) and returns the exit
 * code: 0 when it passed, 1 when it did not.
 */
export function verdict(
  out: Output,
  json: boolean | undefined,
  report: { ok: boolean; message: string },
): 0 | 1 {
  if (json) out.json(report);
  else if (report.ok) out.success(report.message);
  else out.failure(report.message);
  return report.ok ? EXIT.ok : EXIT.failed;
}

/** A plain text table, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = header.some((h) => h !== '') ? [pc.dim(format(header))] : [];
  return [...lines, ...rows.map(format)].join('\n') + '\n';
}
