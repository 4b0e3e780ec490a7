import { ChronovisorError } from '@chronovisor/core';
import { SqliteStore } from '@chronovisor/store';
import { EXIT } from '../cli-error';
import { completionSources } from '../debug-completion';
import { repl } from '../debug-repl';
import { DebugSession, type Answer } from '../debug-session';
import { output, type Output } from '../output';
import { openTimeline } from '../run-plugins';

/**
 * `chronovisor debug <run.db | postgres://…#id>`: the time-travel debugger. With `--eval "cmd; cmd; …"` it runs
 * the commands and prints their answers (JSON with `--json`); otherwise a REPL on stdin.
 */
export async function debug(
  file: string,
  options: { eval?: string; json?: boolean; memory?: number; verify?: boolean },
  out: Output = output,
): Promise<number> {
  const { store, timeline, kept } = openTimeline(file, options);
  try {
    const session = new DebugSession(
      timeline,
      {
        list: () => store.bookmarks(),
        add: (name, seq, note) => {
          // Bookmarks sit outside a run's records: a server's run takes them as it is open.
          if (!(store instanceof SqliteStore)) return store.bookmark(name, seq, note);
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
    const snapshots = kept.seqs.length;
    await repl(
      session,
      {
        seq: () => timeline.seq,
        greeting: `Debugging ${file}: ${timeline.head} records, at seq 0${snapshots ? `, ${snapshots} snapshots kept` : ''}. Type help for the commands.`,
      },
      completionSources(timeline, store),
      out,
    );
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
