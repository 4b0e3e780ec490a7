import { InfoView, MemoryReader, payloadFormatter, type LogRecord } from '@chronovisor/core';
import {
  describeOrigin,
  matching,
  Watchpoint,
  type Breakpoint,
  type RecordPattern,
  type Stop,
  type Timeline,
  type Touch,
  type WatchKind,
} from '@chronovisor/timetravel';
import { CliError } from './cli-error';

/** Where `x` probes a range for its first unmapped page. */
const PROBE = 4096;

/** The writes `diff` lists in text (all of them in --json). */
const DIFF_WRITES_SHOWN = 20;

/** What one debugger command answered: a value for `--json`, and text for people. */
export interface Answer {
  readonly command: string;
  readonly value: unknown;
  readonly text: string;
}

interface ActiveBreakpoint {
  readonly id: number;
  readonly description: string;
  readonly stop: Stop;
}

/** The commands, for `help` and tab completion. */
export const DEBUG_COMMANDS: Readonly<Record<string, string>> = {
  goto: 'goto <seq>|start|end|<bookmark> — the state right after a record',
  step: 'step [n] — n records forwards (default 1)',
  rstep: 'rstep [n] — n records backwards',
  continue: 'continue — forwards to the next breakpoint or watchpoint (or the end)',
  rcontinue: 'rcontinue — backwards to the previous one (or the start)',
  break: 'break <type or prefix.> [actor=<a>] [<field>=<value>…] — stop at matching records',
  watch: 'watch <space>:<addr> [len] — stop at writes to the bytes behind the range, by any space',
  rwatch: 'rwatch <space>:<addr> [len] — stop at reads of them',
  awatch: 'awatch <space>:<addr> [len] — stop at reads and writes',
  delete: 'delete <n>|all — remove breakpoints',
  info: 'info breakpoints|snapshots|<view> — what is there now (each plugin adds its views: spaces, frames, tlb <space>, heap…)',
  x: 'x/<n>xb <space>:<addr> — memory now, as hex bytes',
  where: 'where — the current record and the commands that caused it',
  why: 'why <space>:<addr> — where that byte came from: its last write, through copies (copy-on-write too)',
  history: 'history <space>:<addr> — every access to the byte behind it, by any space',
  diff: 'diff <a> <b> — what changed between two seqs',
  bookmark: 'bookmark <name> [note] — name the current seq in the run file',
  bookmarks: 'bookmarks — the run’s bookmarks',
  help: 'help — this list',
  quit: 'quit — leave the debugger (also exit, or Ctrl-D)',
};

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * The debugger's command language over a {@link Timeline}, modelled on gdb and rr: one line in,
 * one answer out. The REPL and `--eval` both drive it.
 */
export class DebugSession {
  private readonly breakpoints: ActiveBreakpoint[] = [];
  private nextId = 1;
  /** Payloads in one line: addresses in hex, as their declarations mark them; other numbers in decimal. */
  private readonly format: (type: string, payload: unknown) => string;

  constructor(
    private readonly timeline: Timeline,
    private readonly bookmarks: {
      list(): { name: string; seq: number; note: string }[];
      add(name: string, seq: number, note: string): void;
    },
    /** What the run holds, beyond its records: the types of record it has. */
    private readonly run: { types(): readonly string[] } = { types: () => [] },
  ) {
    this.format = payloadFormatter(timeline.plugins);
  }

  /** Runs one command line; a bad one throws a CliError naming what is wrong. */
  execute(line: string): Answer {
    const [word = '', ...args] = line.trim().split(/\s+/);
    const [name, format] = word.split('/') as [string, string | undefined];
    const answer = (value: unknown, text: string): Answer => ({
      command: line.trim(),
      value,
      text,
    });
    const t = this.timeline;
    switch (name) {
      case 'goto': {
        const to = this.destination(args[0]);
        if (to > t.head)
          throw new CliError(`goto: the run holds records 1 to ${t.head}, not ${to} (goto end)`);
        return this.position(answer, t.seek(to));
      }
      case 'step':
      case 'rstep': {
        const n = args[0] === undefined ? 1 : this.number(args[0], `${name} [n]`);
        const edge = name === 'step' ? t.seq >= t.head : t.seq <= 0;
        if (edge)
          return answer(
            { seq: t.seq, record: null },
            `already at the ${name === 'step' ? 'end' : 'start'} of the run (seq ${t.seq})`,
          );
        return this.position(answer, t.step(name === 'step' ? n : -n));
      }
      case 'continue':
      case 'c':
      case 'rcontinue':
      case 'rc': {
        const forwards = name === 'continue' || name === 'c';
        const stops = this.breakpoints.map((b) => b.stop);
        const hit = forwards ? t.continue(stops) : t.reverseContinue(stops);
        const by = hit && this.breakpoints[hit.by[0]!]!;
        const text = hit
          ? `stopped by #${by!.id} (${by!.description})${this.madeBy(by!.stop, hit.record)}\n${this.describe(hit.record)}`
          : `reached the ${forwards ? 'end' : 'start'} of the run (seq ${t.seq})`;
        return answer(
          { seq: t.seq, breakpoint: by?.id ?? null, record: hit?.record ?? null },
          text,
        );
      }
      case 'break': {
        const added = this.add(answer, this.pattern(args), `break ${args.join(' ')}`);
        const type = args.find((a) => !a.includes('='));
        const types = this.run.types();
        const known =
          type === undefined ||
          types.some((t) => (type.endsWith('.') ? t.startsWith(type) : t === type));
        return known
          ? added
          : { ...added, text: `${added.text}\nnote: no record of type ${type} in this run` };
      }
      case 'watch':
      case 'rwatch':
      case 'awatch': {
        const kind: WatchKind = name === 'watch' ? 'write' : name === 'rwatch' ? 'read' : 'access';
        const { space, va } = this.address(args[0], `${name} <space>:<addr> [len]`);
        const length =
          args[1] === undefined ? 1 : this.number(args[1], `${name} <space>:<addr> [len]`);
        return this.add(
          answer,
          t.watch(space, va, length, kind),
          `${name} ${space}:${hex(va)} ${length}`,
        );
      }
      case 'delete': {
        if (args[0] === 'all') this.breakpoints.length = 0;
        else {
          const id = this.number(args[0], 'delete <n>|all');
          const at = this.breakpoints.findIndex((b) => b.id === id);
          if (at < 0) throw new CliError(`No breakpoint #${id}`);
          this.breakpoints.splice(at, 1);
        }
        return answer(
          { breakpoints: this.breakpoints.length },
          `${this.breakpoints.length} breakpoints left`,
        );
      }
      case 'info':
        return this.info(answer, args);
      case 'x': {
        const count = Number(/^(\d+)xb$/.exec(format ?? '')?.[1] ?? NaN);
        if (!Number.isSafeInteger(count) || count < 1)
          throw new CliError('x: expected x/<n>xb <space>:<addr>');
        const { space, va } = this.address(args[0], 'x/<n>xb <space>:<addr>');
        const [memory] = t.getAll<MemoryReader>(MemoryReader);
        if (!memory)
          throw new CliError(
            'x: no plugin in this run reads memory (the MMU does: add it to the set)',
          );
        const bytes = memory.read(space, va, count);
        if (!bytes) {
          // Where the range stops being mapped (probed at each 4 KiB boundary, pages being no
          // smaller): a range may start on a mapped page.
          let at = va;
          while (at < va + count && memory.read(space, at, 1))
            at = Math.floor(at / PROBE) * PROBE + PROBE;
          if (at >= va + count) at = va; // no boundary unmapped: say the range is not
          return answer(
            { space, va, bytes: null, unmapped: at },
            at === va
              ? `${space}:${hex(va)}: not mapped at seq ${t.seq}`
              : `${space}:${hex(va)}: mapped, but not the page at ${space}:${hex(at)} (${at - va} bytes on), at seq ${t.seq}`,
          );
        }
        const lines: string[] = [];
        for (let i = 0; i < bytes.length; i += 16)
          lines.push(
            `${space}:${hex(va + i)}: ${[...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
          );
        return answer({ space, va, bytes: [...bytes] }, lines.join('\n'));
      }
      case 'where': {
        const chain = t.where();
        return answer(
          { seq: t.seq, chain },
          chain.length === 0
            ? 'at the start (seq 0)'
            : chain.map((r, i) => `${i === 0 ? '' : '  caused by '}${this.describe(r)}`).join('\n'),
        );
      }
      case 'why': {
        const { space, va } = this.address(args[0], 'why <space>:<addr>');
        const chain = t.why(space, va);
        const text =
          chain.length === 0
            ? `${space}:${hex(va)} has not been written by seq ${t.seq}`
            : chain.map(describeOrigin).join('\n');
        return answer({ space, va, chain }, text);
      }
      case 'history': {
        const { space, va } = this.address(args[0], 'history <space>:<addr>');
        const accesses = t.history(space, va);
        return answer(
          { space, va, accesses },
          accesses.length === 0 ? 'never accessed' : accesses.map(describeTouch).join('\n'),
        );
      }
      case 'diff': {
        const diff = t.diff(
          this.number(args[0], 'diff <a> <b>'),
          this.number(args[1], 'diff <a> <b>'),
        );
        const text = [
          `seq ${diff.from} → ${diff.to}: ${diff.projections.length === 0 ? 'no state changed' : `changed: ${diff.projections.join(', ')}`}`,
          ...Object.entries(diff.byType).map(([type, n]) => `  ${n} ${type}`),
          ...diff.written
            .slice(0, DIFF_WRITES_SHOWN)
            .map((w) => `  wrote ${w.space}:${hex(w.va)} (${w.length} bytes)`),
          ...(diff.written.length > DIFF_WRITES_SHOWN
            ? [
                `  … and ${diff.written.length - DIFF_WRITES_SHOWN} more writes (--json lists them all)`,
              ]
            : []),
        ].join('\n');
        return answer(diff, text);
      }
      case 'bookmark': {
        if (!args[0]) throw new CliError('bookmark: expected bookmark <name> [note]');
        this.bookmarks.add(args[0], t.seq, args.slice(1).join(' '));
        return answer({ name: args[0], seq: t.seq }, `bookmark ${args[0]} at seq ${t.seq}`);
      }
      case 'bookmarks': {
        const list = this.bookmarks.list();
        return answer(
          list,
          list.length === 0
            ? 'no bookmarks'
            : list.map((b) => `${b.name}: seq ${b.seq}${b.note ? ` — ${b.note}` : ''}`).join('\n'),
        );
      }
      case 'help':
        return answer(DEBUG_COMMANDS, Object.values(DEBUG_COMMANDS).join('\n'));
      default:
        throw new CliError(`Unknown debugger command "${word}" (try help)`);
    }
  }

  /** Where `goto` goes: a seq, `start`, `end`, or a bookmark (a seq is never taken for a name). */
  private destination(arg: string | undefined): number {
    if (arg === 'end') return this.timeline.head;
    if (arg === 'start') return 0;
    if (arg === undefined || /^\d+$/.test(arg)) return this.number(arg, 'goto <seq>');
    const bookmark = this.bookmarks.list().find((b) => b.name === arg);
    if (!bookmark)
      throw new CliError(`goto: no bookmark named ${arg} (bookmarks lists them), nor a seq`);
    return bookmark.seq;
  }

  private position(answer: (v: unknown, t: string) => Answer, seq: number): Answer {
    const record = this.timeline.record(seq);
    return answer(
      { seq, record: record ?? null },
      record ? this.describe(record) : 'at the start (seq 0)',
    );
  }

  private add(answer: (v: unknown, t: string) => Answer, stop: Stop, description: string): Answer {
    const id = this.nextId++;
    this.breakpoints.push({ id, description, stop });
    return answer({ id, description }, `#${id}: ${description}`);
  }

  private info(answer: (v: unknown, t: string) => Answer, args: string[]): Answer {
    const t = this.timeline;
    const what = args[0];
    if (what === 'breakpoints' || what === 'break') {
      const list = this.breakpoints.map(({ id, description }) => ({ id, description }));
      return answer(
        list,
        list.length === 0
          ? 'no breakpoints'
          : list.map((b) => `#${b.id}: ${b.description}`).join('\n'),
      );
    }
    if (what === 'snapshots') {
      const value = { count: t.snapshotCount, bytes: t.snapshotBytes() };
      const mib = (value.bytes / 2 ** 20).toFixed(1);
      return answer(value, `${value.count} snapshots, holding ${mib} MiB`);
    }
    const views = t.getAll<InfoView>(InfoView);
    const view = views.find((v) => v.name === what);
    if (!view)
      throw new CliError(
        `info: expected breakpoints, snapshots${views.map((v) => `, ${v.usage}`).join('')}`,
      );
    let value: unknown;
    try {
      value = view.show(args.slice(1));
    } catch (error) {
      throw new CliError(`info ${what}: ${(error as Error).message}`);
    }
    return answer(value, view.format?.(value) ?? JSON.stringify(value, null, 2));
  }

  /** `<type or prefix.> [actor=…] [field=value…]`; values that look like numbers are numbers. */
  private pattern(args: string[]): Breakpoint {
    if (args.length === 0)
      throw new CliError('break: expected break <type or prefix.> [actor=<a>] [<field>=<value>…]');
    const pattern: { -readonly [K in keyof RecordPattern]: RecordPattern[K] } & {
      fields?: Record<string, unknown>;
    } = {};
    for (const arg of args) {
      const eq = arg.indexOf('=');
      if (eq < 0) pattern.type = arg;
      else if (arg.slice(0, eq) === 'actor') pattern.actor = arg.slice(eq + 1);
      else {
        const raw = arg.slice(eq + 1);
        const n = Number(raw);
        (pattern.fields ??= {})[arg.slice(0, eq)] = raw !== '' && Number.isFinite(n) ? n : raw;
      }
    }
    return matching(pattern);
  }

  private address(arg: string | undefined, usage: string): { space: number; va: number } {
    const match = /^(\d+):(0x[0-9a-fA-F]+|\d+)$/.exec(arg ?? '');
    if (!match) throw new CliError(`expected ${usage}, with an address like 1:0x1000`);
    return { space: Number(match[1]), va: Number(match[2]) };
  }

  private number(arg: string | undefined, usage: string): number {
    const n = Number(arg);
    if (arg === undefined || !Number.isSafeInteger(n) || n < 0)
      throw new CliError(`expected ${usage}`);
    return n;
  }

  /** For a watchpoint's stop: which space reached the watched bytes, and where. */
  private madeBy(stop: Stop, record: LogRecord): string {
    if (!(stop instanceof Watchpoint)) return '';
    const access = this.timeline.accessOf(record);
    if (!access) return ', a load of their page';
    const where = `${access.space}:${hex(access.va)}`;
    return access.space === stop.space
      ? ` at ${where}`
      : `, by space ${access.space} at ${where} (the same bytes)`;
  }

  private describe(record: LogRecord): string {
    const payload = record.kind === 'event' ? record.data : record.args;
    return `seq ${record.seq}: ${record.kind} ${record.type} by ${record.actor} (cause ${record.cause}, tick ${record.tick}) ${this.format(record.type, payload)}`;
  }
}

/** One entry of `history`, in words. */
function describeTouch({ how, access }: Touch): string {
  const what = how === 'copy' ? 'copied on write' : how === 'load' ? 'loaded' : how;
  return `seq ${access.seq}: ${what} by ${access.actor} through ${access.space}:${hex(access.va)}`;
}
