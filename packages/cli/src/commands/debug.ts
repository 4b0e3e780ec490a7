import { ChronovisorError } from '@chronovisor/core';
import { SqliteStore } from '@chronovisor/store';
import { KeptSnapshots, Timeline } from '@chronovisor/timetravel';
import * as readline from 'node:readline';
import { CliError, EXIT } from '../cli-error';
import { DEBUG_COMMANDS, DebugSession, type Answer } from '../debug-session';
import { output, type Output } from '../output';
import { openRun, snapshotKey } from '../run-plugins';

/**
 * `chronovisor debug <run.db>`: the time-travel debugger. With `--eval "cmd; cmd; …"` it runs
 * the commands and prints their answers (JSON with `--json`); otherwise a REPL on stdin.
 */
export async function debug(
  file: string,
  options: { eval?: string; json?: boolean; memory?: number; verify?: boolean },
  out: Output = output,
): Promise<number> {
  const { store, manifest, plugins } = openRun(file, { verify: options.verify ?? true });
  try {
    const kept = new KeptSnapshots(store.snapshots, snapshotKey(manifest));
    const timeline = new Timeline(store, plugins, {
      seed: manifest.seed,
      kept,
      ...(options.memory === undefined ? {} : { memoryBudget: options.memory }),
    });
    const session = new DebugSession(
      timeline,
      {
        list: () => store.bookmarks(),
        add: (name, seq, note) => {
          const writable = SqliteStore.open(file);
          try {
            writable.bookmark(name, seq, note);
          } finally {
            writable.close();
          }
        },
      },
      { types: () => store.recordTypes() },
    );
    if (options.eval !== undefined)
      return evaluate(session, options.eval, options.json ?? false, out);
    await repl(session, timeline, file, kept.seqs.length, out);
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function evaluate(session: DebugSession, script: string, json: boolean, out: Output): number {
  const answers: Answer[] = [];
  const lines = script
    .split(';')
    .map((l) => l.trim())
    .filter(Boolean);
  const asJson = () => answers.map(({ command, value }) => ({ command, value }));
  for (const line of lines) {
    let answer: Answer;
    try {
      answer = session.execute(line); // a bad command throws: exit 2, naming it
    } catch (error) {
      if (!json || !(error instanceof ChronovisorError)) throw error;
      // The answers before the bad command are kept, and the error is the last of them.
      out.json([
        ...asJson(),
        { command: line, error: { name: error.name, message: error.message } },
      ]);
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.badInput;
    }
    answers.push(answer);
    if (!json) out.line(`(${answer.command})\n${answer.text}`);
  }
  if (json) out.json(asJson());
  return EXIT.ok;
}

function repl(
  session: DebugSession,
  timeline: Timeline,
  file: string,
  kept: number,
  out: Output,
): Promise<void> {
  const names = Object.keys(DEBUG_COMMANDS);
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    historySize: 1000,
    completer: (line: string) => {
      const hits = names.filter((n) => n.startsWith(line.trim()));
      return [hits.length > 0 ? hits : names, line];
    },
  });
  out.line(
    `Debugging ${file}: ${timeline.head} records, at seq 0${kept ? `, ${kept} snapshots kept in the file` : ''}. Type help for the commands.`,
  );
  const prompt = () => {
    rl.setPrompt(`(seq ${timeline.seq}) `);
    rl.prompt();
  };
  return new Promise((resolve) => {
    rl.on('line', (line) => {
      const text = line.trim();
      if (text === 'quit' || text === 'exit') return rl.close();
      if (text !== '') {
        try {
          out.line(session.execute(text).text);
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          out.failure(error.message);
        }
      }
      prompt();
    });
    rl.on('close', () => resolve());
    prompt();
  });
}
