import * as readline from 'node:readline';
import { CliError } from './cli-error';
import { debugCompleter, type CompletionSources } from './debug-completion';
import { DebugHistory, HISTORY_LINES, historyFile } from './debug-history';
import type { DebugSession } from './debug-session';
import type { Output } from './output';

/** What the prompt shows and the greeting says. */
export interface ReplView {
  /** The current seq, for the prompt. */
  seq(): number;
  readonly greeting: string;
}

/**
 * The debugger's REPL on stdin, answering commands until `quit`, `exit` or Ctrl-D (end of
 * input). On a terminal, tab completes commands and their arguments, Ctrl-C drops the line being
 * typed for a fresh prompt (as bash does), and the history is kept between sessions (see
 * {@link historyFile}). A bad command is answered and the session goes on.
 */
export function repl(
  session: DebugSession,
  view: ReplView,
  sources: CompletionSources,
  out: Output,
): Promise<void> {
  // Only typed lines are history: commands piped in are a script, not the user's.
  const history = new DebugHistory(process.stdin.isTTY ? historyFile() : undefined);
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    history: history.load().reverse(), // readline's is newest first
    historySize: HISTORY_LINES,
    completer: debugCompleter(sources),
  });
  out.line(view.greeting);
  const prompt = () => {
    rl.setPrompt(`(seq ${view.seq()}) `);
    rl.prompt();
  };
  let quitting = false;
  let failure: Error | undefined;
  return new Promise<void>((resolve, reject) => {
    rl.on('line', (line) => {
      history.add(line);
      const text = line.trim();
      if (text === 'quit' || text === 'exit') {
        quitting = true;
        return rl.close();
      }
      if (text !== '') {
        try {
          out.line(session.execute(text).text);
        } catch (error) {
          if (!(error instanceof CliError)) {
            failure = error as Error; // not the command's fault: the session ends, its history kept
            return rl.close();
          }
          out.failure(error.message);
        }
      }
      prompt();
    });
    rl.on('SIGINT', () => {
      rl.write(null, { ctrl: true, name: 'e' }); // to the end of the line, for the ^C
      process.stdout.write('^C');
      dropLine(rl);
      prompt();
    });
    rl.on('close', () => {
      // Ctrl-D leaves the cursor after the prompt: the shell's own starts on a line of its own.
      if (!quitting && failure === undefined && rl.terminal) process.stdout.write('\n');
      history.save();
      if (failure === undefined) resolve();
      else reject(failure);
    });
    prompt();
  });
}

/**
 * Forgets the line being typed, leaving it on the screen, and moves to the next: what Node's own
 * REPL does on Ctrl-C, through readline's `clearLine` (not in its typings). Were it gone, the line
 * is erased instead, through the keys that delete it.
 */
function dropLine(rl: readline.Interface): void {
  const clearLine = (rl as { clearLine?: () => void }).clearLine;
  if (typeof clearLine === 'function') return clearLine.call(rl);
  rl.write(null, { ctrl: true, name: 'u' });
}
