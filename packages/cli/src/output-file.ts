import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from './cli-error';

/** How a command may write its output. */
export interface OutputOptions {
  /** Replace an existing file (once the new one is complete). */
  readonly force?: boolean;
  /** The files the command reads: the output may be none of them. */
  readonly inputs?: readonly string[];
}

/**
 * A file a command writes. It is refused where it exists (unless `force`), where it is one of the
 * command's inputs (the same file, by device and inode, whatever the name) or a directory. It is
 * written under another name beside it (`partial`) and takes its own name only when complete
 * (`commit`), so a failed, interrupted or killed command leaves the old file whole.
 */
export class OutputFile {
  /** Where the command writes until it is done. */
  readonly partial: string;

  constructor(
    readonly file: string,
    options: OutputOptions = {},
  ) {
    const existing = statOf(file);
    if (existing?.isDirectory()) throw new CliError(`${file} is a directory; name a file to write`);
    for (const input of options.inputs ?? []) {
      const read = statOf(input);
      if (existing && read && existing.dev === read.dev && existing.ino === read.ino)
        throw new CliError(`${file} is the input ${input}; write the output to another file`);
    }
    if (existing && !options.force)
      throw new CliError(`${file} already exists; pass --force to replace it`);
    this.partial = freeName(partialName(file));
  }

  /** The complete output takes its name (replacing the old file, with its SQLite side files). */
  commit(): void {
    for (const side of ['-wal', '-shm']) rmSync(`${this.file}${side}`, { force: true });
    renameSync(this.partial, this.file);
  }

  /** Drops what was written (an output worth nothing unfinished, such as an export). */
  abandon(): void {
    for (const side of ['', '-wal', '-shm']) rmSync(`${this.partial}${side}`, { force: true });
  }
}

/** Refuses an input file that does not exist or is a directory, naming it (`what` it should be). */
export function checkInputFile(file: string, what: string): void {
  const found = statOf(file);
  if (!found) throw new CliError(`${what} ${file} does not exist`);
  if (found.isDirectory()) throw new CliError(`${what} ${file} is a directory; name a file`);
}

function statOf(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** `run.db` → `run.partial.db`: what an unfinished output is called. */
function partialName(file: string): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.partial${ext}`;
}

/** The name, or with `-2`, `-3`… before its extension when taken: an earlier partial is kept. */
function freeName(file: string): string {
  if (!existsSync(file)) return file;
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  for (let n = 2; ; n++) if (!existsSync(`${base}-${n}${ext}`)) return `${base}-${n}${ext}`;
}
