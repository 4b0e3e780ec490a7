import type { EventRecord } from './record';
import type { CommandArgs, CommandValue, EventData } from './type-maps';

/** Token under which plugins bind their command handlers. */
export const CommandHandler = Symbol.for('@chronovisor/core:CommandHandler');
/** Token under which plugins bind their projections. */
export const Projection = Symbol.for('@chronovisor/core:Projection');
/** Token under which plugins bind their reactors. */
export const Reactor = Symbol.for('@chronovisor/core:Reactor');
/** Token under which plugins bind their read-only query services. */
export const Query = Symbol.for('@chronovisor/core:Query');

/** What a handler sees of the command it executes. */
export interface CommandContext {
  /** This command's seq; its events get the following ones. */
  readonly seq: number;
  readonly tick: number;
  readonly actor: string;
  /**
   * Records an event and applies it to the projections at once, so the handler's next read sees
   * it. If the handler throws later, every event it emitted is undone.
   */
  emit<T extends string>(type: T, data: EventData<T>): EventRecord<EventData<T>>;
  /**
   * Runs another command now, as part of this one, and returns its value: how a plugin uses
   * another's published commands (the heap maps its pages with `mmu.map`). The sub-command is
   * recorded with its own seq, the calling plugin as actor (`plugin:heap`) and this command's seq
   * as cause. If it is refused, this whole command is refused with its error, even if the
   * handler catches it: check preconditions through the other plugin's query first.
   */
  call<T extends string>(type: T, args: CommandArgs<T>): CommandValue<T>;
}

/**
 * Executes one command type: checks its arguments at the boundary, then decides which events
 * happen. It changes state only by emitting events, and refuses a command by throwing (the
 * refusal is recorded with the error). What `execute` returns goes back to the caller as
 * `CommandResult.value` (the bytes a read found, the id of a new space); it is not recorded,
 * since replaying the events derives it again.
 */
export interface CommandHandler<A = unknown, R = unknown> {
  /** `<plugin>.<verb>`, e.g. `mmu.map`. */
  readonly type: string;
  readonly description?: string;
  /** Checks raw arguments and returns them typed; throws a ValidationError naming the field. */
  parse(args: unknown): A;
  execute(args: A, context: CommandContext): R;
}

/**
 * Owns one slice of state. `apply` is the only way it changes, so folding the log through it
 * rebuilds the state, and `snapshot`/`restore` let replay and time travel jump around.
 *
 * Contract: a snapshot is never altered by later `apply` calls, nor by `restore` followed by
 * `apply` (the same snapshot may be restored many times). Snapshots should cost O(what changed
 * since the last one): share unchanged parts (copy on write) instead of copying everything.
 */
export interface Projection<S = unknown> {
  /** Unique in the plugin set; names this slice in digests and diffs. */
  readonly name: string;
  /** Event types routed to {@link Projection.apply}. */
  readonly eventTypes: readonly string[];
  apply(event: EventRecord): void;
  snapshot(): S;
  restore(snapshot: S): void;
  /** A hash of the state: equal states, equal digests (see `digestOf`). */
  digest(): string;
  /**
   * For snapshots kept in a file (a time-travel index): the snapshot as structured-clone data
   * (plain objects, arrays, Maps, Sets, typed arrays, bigints), and back. Leave both out when the
   * snapshot already is such data; class instances would lose their prototypes in the file.
   */
  snapshotToData?(snapshot: S): unknown;
  snapshotFromData?(data: unknown): S;
  /**
   * For a time-travel memory budget: the memory these snapshots hold together, in bytes (an
   * estimate; what several share counts once). Leave both out when snapshots are small.
   */
  snapshotBytes?(snapshots: readonly S[]): number;
  /**
   * With `snapshotBytes`: bytes of state made so far, a running count. A snapshot adds at most
   * what was made since the last one was taken, or since the last restore began (restoring may
   * make state), so a budget is measured only when that could pass it.
   */
  allocatedBytes?(): number;
  /**
   * Snapshots will be held many at a time (a timeline's): from now on each may build on the one
   * taken or restored before it, holding only what changed since, as long as restoring it stays
   * cheap. Leave out when snapshots share well already.
   */
  incrementalSnapshots?(): void;
  /**
   * For a memory budget, with incremental snapshots: lets go of part of what these snapshots
   * hold that can be rebuilt from the rest (restoring them then costs more). False when nothing
   * could go.
   */
  shed?(snapshots: readonly S[]): boolean;
}

/** What a reactor may do: issue commands, run after the current one, in order. */
export interface ReactorContext {
  dispatch<T extends string>(type: T, args: CommandArgs<T>): void;
}

/**
 * Reacts to events by issuing commands (a lazy page fault makes snapshot boot load the page).
 * Reactors run in live execution and re-execution, never in state replay. Their commands carry
 * the reactor's actor and the triggering event's seq as cause.
 */
export interface Reactor {
  /** Who acts, e.g. `plugin:snapshot-boot`. */
  readonly actor: string;
  /** Event types routed to {@link Reactor.react}. */
  readonly eventTypes: readonly string[];
  react(event: EventRecord, context: ReactorContext): void;
}

/** A read-only view other plugins, the debugger and the CLI use. */
export interface Query {
  /** Unique in the plugin set, e.g. `mmu` or `heap`. */
  readonly name: string;
}
