import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';

/*
 * Commands under a pseudo-terminal, as a user's shell runs them: util-linux `script` (in Debian's
 * essential bsdutils) runs a command on a pty of its own and copies it to its stdout, and what
 * is written to its stdin to the pty, as keys typed.
 */

/** A word for `sh -c`, quoted. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** A command line for `sh -c`, each word quoted. */
export const shellCommand = (words: readonly string[]): string => words.map(quote).join(' ');

let checked = false;

/**
 * Fails, saying why, where no pseudo-terminal can be made: a test of terminal behaviour must not
 * pass (nor be skipped) without one.
 */
export function requirePty(): void {
  if (checked) return;
  const probe = spawnSync('script', ['-qfec', 'test -t 0 && test -t 1 && test -t 2', '/dev/null'], {
    encoding: 'utf8',
  });
  if (probe.error)
    throw new Error(
      `Cannot make a pseudo-terminal for this test: running util-linux script failed (${probe.error.message}); on Debian it is in the bsdutils package`,
    );
  if (probe.status !== 0)
    throw new Error(
      `Cannot make a pseudo-terminal for this test: script ran, but its command saw no terminal (exit ${probe.status}): ${probe.stdout}${probe.stderr}`,
    );
  checked = true;
}

/** Runs a command line on a pseudo-terminal to its end; returns what the terminal showed. */
export function onTerminal(
  command: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): { status: number | null; screen: string } {
  requirePty();
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm', ...options.env },
  });
  return { status: result.status, screen: result.stdout };
}

/** The escape sequences that move the cursor and clear (CSI: ESC, `[`, parameters, a letter). */
const CONTROL_SEQUENCE = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** What the terminal showed, without its escape sequences and carriage returns. */
export const plain = (screen: string): string =>
  screen.replace(CONTROL_SEQUENCE, '').replace(/\r/g, '');

/**
 * A command running on a pseudo-terminal, typed into: each `type` waits for the text it expects
 * the terminal to show first (a prompt), so that keys arrive once the program reads them.
 */
export class TerminalSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private screen = '';
  /** How far the screen (as plain text) has been read by `waitFor`. */
  private read = 0;
  private readonly exited: Promise<number | null>;

  constructor(command: string, options: { cwd: string; env?: NodeJS.ProcessEnv }) {
    requirePty();
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: options.cwd,
      env: { ...process.env, TERM: 'xterm', ...options.env },
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => (this.screen += text));
    this.exited = new Promise((resolve) => this.child.on('close', resolve));
  }

  /**
   * Waits until the terminal shows `text`, all of it past what was read before; returns what it
   * showed up to the end of it (escape sequences removed), and reads on from there.
   */
  async waitFor(text: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shown = plain(this.screen);
      const at = shown.indexOf(text, this.read);
      if (at >= 0) {
        const from = this.read;
        this.read = at + text.length;
        return shown.slice(from, this.read);
      }
      if (Date.now() > deadline)
        throw new Error(
          `The terminal did not show ${JSON.stringify(text)} within ${timeoutMs} ms; it showed:\n${shown}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Types keys. */
  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** The command's exit status once it ends (killed if not within the time), and its screen. */
  async end(timeoutMs = 15_000): Promise<{ status: number | null; screen: string }> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return { status, screen: plain(this.screen) };
  }

  /**
   * Ends the command, whatever it is doing (a test that failed half way): `script` killed, the
   * terminal hangs up on the command.
   */
  kill(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
