import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

/** The lines of history kept between sessions, the newest. */
export const HISTORY_LINES = 1000;

/**
 * Where the debugger keeps its history: `CHRONOVISOR_HISTORY_FILE` (set empty: nowhere), else
 * `chronovisor/debug_history` under `XDG_STATE_HOME` (which the XDG spec wants absolute) or its
 * default, `~/.local/state`.
 */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.CHRONOVISOR_HISTORY_FILE;
  if (chosen !== undefined) return chosen === '' ? undefined : chosen;
  const state =
    env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)
      ? env.XDG_STATE_HOME
      : path.join(homedir(), '.local', 'state');
  return path.join(state, 'chronovisor', 'debug_history');
}

/**
 * The debugger's history between sessions: read at the start, this session's lines appended at
 * the end. A file that cannot be read or written costs one note on stderr, never the session.
 */
export class DebugHistory {
  private readonly added: string[] = [];
  private last: string | undefined;
  /** False once the file could not be read: writing it then could lose what it holds. */
  private writable = true;
  private noted = false;

  constructor(
    private readonly file: string | undefined,
    private readonly note: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  /** The lines kept, oldest first. */
  load(): string[] {
    const lines = this.read();
    this.last = lines?.at(-1);
    return lines ?? [];
  }

  /** A line entered in this session: kept unless blank or the same as the last (as readline). */
  add(line: string): void {
    if (line.trim() === '' || line === this.last) return;
    this.added.push(line);
    this.last = line;
  }

  /**
   * Appends this session's lines to the file as it is now (another session may have written it
   * since this one read it), keeping the last {@link HISTORY_LINES}.
   */
  save(): void {
    if (this.file === undefined || !this.writable || this.added.length === 0) return;
    const kept = this.read();
    if (kept === undefined) return;
    const lines = [...kept, ...this.added].slice(-HISTORY_LINES);
    try {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileSync(this.file, `${lines.join('\n')}\n`, { mode: 0o600 });
    } catch (error) {
      this.fail('write', error, "this session's lines are not kept");
    }
  }

  /** The file's lines, none if it does not exist yet; undefined (noted) if it cannot be read. */
  private read(): string[] | undefined {
    if (this.file === undefined) return [];
    try {
      return readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.writable = false;
      this.fail('read', error, 'the history is not kept this session');
      return undefined;
    }
  }

  private fail(what: 'read' | 'write', error: unknown, consequence: string): void {
    if (this.noted) return;
    this.noted = true;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    this.note(
      `note: cannot ${what} the debugger's history ${this.file} (${reason}): ${consequence}\n`,
    );
  }
}
