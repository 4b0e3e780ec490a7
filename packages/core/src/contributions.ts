import type { ArgsOf, CommandType, DataOf, EventType, ResultOf, TypedEvent } from './declarations';

/** Token under which plugins bind their command handlers (see {@link CommandHandlers}). */
export const CommandHandlers = Symbol.for('@chronovisor/core:CommandHandlers');
/** Token under which plugins bind their projections. */
export const Projection = Symbol.for('@chronovisor/core:Projection');
/** Token under which plugins bind their reactors. */
export const Reactor = Symbol.for('@chronovisor/core:Reactor');
/** Token under which plugins bind their read-only query services. */
export const Query = Symbol.for('@chronovisor/core:Query');
/** Token under which plugins bind the state they keep about a space that moves with it. */
export const SpaceState = Symbol.for('@chronovisor/core:SpaceState');

/** What a handler sees of the command it executes. */
export interface CommandContext {
  /** Seq of the command from outside that this one runs for (or of the event whose reactor issued it). */
  readonly cause: number;
  readonly tick: number;
  /** Who acts: the outside caller, or `plugin:<prefix>` for a call or a reactor's command. */
  readonly actor: string;
  /**
   * Records an event and applies it to the projections at once, so the handler's next read sees
   * it. If the command fails later, every event it emitted is undone.
   */
  emit<E extends EventType>(event: E, data: DataOf<E>): TypedEvent<E>;
  /**
   * Runs another command now, as part of this one, and returns its value: how a plugin uses
   * another's published commands (the heap maps its pages with `mmu.map`). The call is trusted (its
   * arguments are not checked again) and leaves only its events, with the calling plugin as actor
   * and this command's cause. If it is refused, this whole command is refused with its error, even
   * if the handler catches it: check preconditions through the other plugin's query first.
   */
  call<C extends CommandType>(command: C, args: ArgsOf<C>): ResultOf<C>;
}

/**
 * Executes one command type: decides which events happen. It changes state only by emitting
 * events, and refuses a command by throwing (the refusal is recorded with the error). Its
 * arguments were checked at the boundary. What it returns goes back to the caller as
 * `CommandResult.value`; it is not recorded, since replaying the events derives it again.
 */
export interface CommandHandler<C extends CommandType = CommandType> {
  readonly command: C;
  execute(this: void, args: ArgsOf<C>, context: CommandContext): ResultOf<C>;
}

/** Binds a handler to its command's declaration: `handle(increment, ({ name, by }, context) => …)`. */
export function handle<C extends CommandType>(
  command: C,
  execute: (args: ArgsOf<C>, context: CommandContext) => ResultOf<C>,
): CommandHandler<C> {
  return { command, execute };
}

/** A contribution that handles commands: a class whose services its handlers share. */
export interface CommandHandlers {
  readonly handlers: readonly CommandHandler[];
}

/** One event type a projection applies. */
export interface EventListener<E extends EventType = EventType> {
  readonly event: E;
  // A method, so that a listener of one type stands in a projection's list of any.
  apply(this: void, event: TypedEvent<E>): void;
}

/** Routes one event type to a projection, typed by its payload: `on(incremented, ({ data }) => …)`. */
export function on<E extends EventType>(
  event: E,
  apply: (event: TypedEvent<E>) => void,
): EventListener<E> {
  return { event, apply };
}

/**
 * Owns one slice of state. Applying events is the only way it changes, so folding the log through
 * it rebuilds the state, and `snapshot`/`restore` let replay and time travel jump around.
 *
 * Contract: a snapshot is never altered by later events, nor by `restore` followed by events (the
 * same snapshot may be restored many times). Snapshots should cost O(what changed since the last
 * one): keep state in persistent collections ({@link PersistentMap}) or copy on write.
 */
export interface Projection<S = unknown> {
  /** Unique in the plugin set; names this slice in digests and diffs. */
  readonly name: string;
  /** The event types it applies, each with its function. */
  readonly listeners: readonly EventListener[];
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
   * The kernel's rollback point, when it can be cheaper than a snapshot: only the latest is ever
   * rolled back to (and may be, many times), and none is kept in a file or held by a timeline.
   * The MMU keeps an undo of the writes after it instead of sharing its frames, so no write after
   * it copies a page. Leave both out and the kernel takes snapshots.
   */
  checkpoint?(): unknown;
  rollback?(checkpoint: unknown): void;
  /**
   * Bytes copied so far, a running count, because a snapshot still shared them (the first write to
   * a page after a snapshot copies it). The kernel checkpoints rarely for a projection whose
   * snapshots cost such copies, often for one whose snapshots cost nothing later (persistent
   * collections: leave this out).
   */
  copiedBytes?(): number;
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
  /** Queues a command; like a call it is trusted, and leaves only its events (or its refusal). */
  dispatch<C extends CommandType>(command: C, args: ArgsOf<C>): void;
}

/** One event type a reactor reacts to. */
export interface Reaction<E extends EventType = EventType> {
  readonly event: E;
  // A method, as for EventListener.
  react(this: void, event: TypedEvent<E>, context: ReactorContext): void;
}

/** Routes one event type to a reactor: `react(incremented, ({ data }, context) => …)`. */
export function react<E extends EventType>(
  event: E,
  reaction: (event: TypedEvent<E>, context: ReactorContext) => void,
): Reaction<E> {
  return { event, react: reaction };
}

/**
 * Reacts to events by issuing commands (a lazy page fault makes snapshot boot load the page).
 * Reactors run in live execution and re-execution, never in state replay. Their commands' events
 * carry the reactor's actor and the triggering event's seq as cause.
 */
export interface Reactor {
  /** Who acts, e.g. `plugin:snapshot-boot`. */
  readonly actor: string;
  readonly reactions: readonly Reaction[];
}

/** A read-only view other plugins, the debugger and the CLI use. */
export interface Query {
  /** Unique in the plugin set, e.g. `mmu` or `heap`. */
  readonly name: string;
}

/** The arguments of a {@link SpaceState}'s restore command. */
export interface SpaceStateArgs {
  /** The space the state comes back in: a process's new space, its memory already restored. */
  readonly space: number;
  /** What `capture` gave, as plain data (it may have crossed a file). */
  readonly state: unknown;
}

/**
 * What a plugin keeps about one address space beyond its memory, which must travel with the
 * process that owns it: the heap's blocks and free lists, a handle table. A checkpoint of a
 * process keeps each plugin's part; a restore into another space calls each part's `restore`
 * command with it, so the process finds its heap and its handles as it left them. A plugin
 * checkpointing processes needs no import of the plugins whose state it carries.
 */
export interface SpaceState {
  /** Unique in the plugin set: the part's key in a checkpoint, e.g. `heap`. */
  readonly name: string;
  /**
   * The state of `space` as plain JSON data (objects, arrays, strings, finite numbers, booleans,
   * null), or undefined where the plugin keeps none.
   */
  capture(space: number): unknown;
  /**
   * Makes `state` the plugin's state of a space, by its events. Its handler checks `state` (an
   * image may come from a file) and refuses what does not fit, which refuses the whole restore.
   */
  readonly restore: CommandType<string, SpaceStateArgs, SpaceStateArgs, void>;
}
