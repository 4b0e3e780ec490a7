import { InfoView } from '@chronovisor/core';
import type { Timeline } from '@chronovisor/timetravel';
import { DEBUG_COMMANDS } from './debug-session';

/** What tab completion offers as arguments, asked each time tab is pressed (the run moves on). */
export interface CompletionSources {
  /** What `info` shows: breakpoints, snapshots, and each plugin's views. */
  infoViews(): readonly string[];
  /** The address spaces at the current position. */
  spaces(): readonly number[];
  bookmarks(): readonly string[];
  /** The types of record the run holds. */
  recordTypes(): readonly string[];
}

/** The commands whose first argument is `<space>:<addr>`. */
const ADDRESSED = new Set(['x', 'why', 'history', 'watch', 'rwatch', 'awatch']);

/**
 * Readline's completer for the debugger's prompt: a command's name, then its first argument
 * (`info`'s views, the spaces of an address, `goto`'s bookmarks, `break`'s record types). Gives
 * readline the candidates for the word before the cursor and that word. A single candidate gets
 * a space after it, as in bash, but a space id its colon, the address to be typed after it.
 */
export function debugCompleter(sources: CompletionSources): (line: string) => [string[], string] {
  const names = Object.keys(DEBUG_COMMANDS);
  return (line) => {
    const words = line.trimStart().split(/\s+/);
    const word = words.at(-1)!;
    if (words.length === 1) {
      const hits = names.filter((n) => n.startsWith(word));
      return [hits.length > 0 ? spaced(hits) : names, word]; // nothing fits: every command
    }
    const command = words[0]!.split('/')[0]!;
    let candidates: readonly string[] = [];
    try {
      if (words.length === 2) candidates = argumentsOf(command, sources);
    } catch {
      // A source that fails (a view refusing here) offers nothing: tab never ends the session.
    }
    return [spaced(candidates.filter((c) => c.startsWith(word))), word];
  };
}

function argumentsOf(command: string, sources: CompletionSources): readonly string[] {
  if (command === 'info') return sources.infoViews();
  if (command === 'goto') return ['start', 'end', ...sources.bookmarks()];
  if (command === 'break') return sources.recordTypes();
  if (ADDRESSED.has(command)) return sources.spaces().map((id) => `${id}:`);
  return [];
}

const spaced = (hits: readonly string[]): string[] =>
  hits.length === 1 && !hits[0]!.endsWith(':') ? [`${hits[0]} `] : [...hits];

/**
 * The sources of a debugging session: `info`'s views and the spaces (as the `spaces` view lists
 * them: the MMU's) from the plugin set at the current position, the rest from the run file.
 */
export function completionSources(
  timeline: Timeline,
  run: { bookmarks(): readonly { name: string }[]; recordTypes(): readonly string[] },
): CompletionSources {
  const views = () => timeline.getAll<InfoView>(InfoView);
  return {
    infoViews: () => ['breakpoints', 'snapshots', ...views().map((v) => v.name)],
    spaces: () => {
      const listed = views()
        .find((v) => v.name === 'spaces')
        ?.show([]);
      if (!Array.isArray(listed)) return [];
      return listed
        .map((space: unknown) => (space as { id?: unknown } | null)?.id)
        .filter((id): id is number => typeof id === 'number');
    },
    bookmarks: () => run.bookmarks().map((b) => b.name),
    recordTypes: () => run.recordTypes(),
  };
}
