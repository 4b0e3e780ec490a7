import type { Container, ServiceIdentifier } from 'inversify';
import type { Observable } from 'rxjs';
import { ClockImpl } from './clock';
import type { CommandContext, Projection, ReactorContext } from './contributions';
import { CORE_EVENTS, reactionFailed } from './core-events';
import type {
  ArgsOf,
  CommandType,
  DataOf,
  EventType,
  InputOf,
  ResultOf,
  TypedEvent,
} from './declarations';
import { UnknownCommandError, UnknownEventTypeError } from './errors';
import { createEventBus, type EventBus, type EventBusController } from './event-bus';
import { bootPlugins } from './kernel-container';
import { buildRoutes, type Route, type RoutedReaction } from './routing-table';
import type { EventTypeRegistry } from './event-type-registry';
import { MemoryStore } from './memory-store';
import type { Plugin } from './plugin';
import type { BoundHandler, PluginContributions } from './plugin-host';
import type { CommandRecord, EventRecord, LogRecord, Rejection } from './record';
import { Xoshiro128StarStar } from './rng';
import { ReentrantDispatchError, SimulationClosedError } from './simulation-errors';
import { combineDigests, stateDigest } from './state-digest';
import type { Store as StoreType } from './store';

/** How to build a {@link Simulation}. */
export interface SimulationOptions {
  /** The plugin set, in any order: the kernel orders it by dependency. */
  readonly plugins: readonly Plugin[];
  /** Seed of the simulation's {@link Rng}; default 0. */
  readonly seed?: number;
  /** Where records go; default a new {@link MemoryStore}. The simulation never closes it. */
  readonly store?: StoreType;
  /** Records between recorded state digests (0: only at close); default 10,000. */
  readonly digestInterval?: number;
  /**
   * Events between the kernel's private rollback checkpoints. A command that fails after emitting
   * restores the last checkpoint and re-applies the events since, which the kernel holds until the
   * next one. Default: adaptive, from 1,024 to 262,144 events. Holding few events keeps them out
   * of the old generation of the garbage collector (holding 262,144 halved the kernel's speed), but
   * a checkpoint makes some projections copy what they change next (the MMU copies a 4 KiB page on
   * the first write after one): after a window in which the projections copied more than 64 bytes
   * an event for it (see `Projection.copiedBytes`) it goes to the largest, else it halves.
   * Checkpoints never reach the log, so the window changes nothing a run records.
   */
  readonly rollbackWindow?: number;
  /**
   * Freeze every record, payload included, so that a plugin or a caller that changes one fails at
   * that line instead of making replay diverge later. Records are deeply readonly in their types;
   * freezing checks it at run time too, and costs a third of the kernel's speed. Default: on,
   * except where `NODE_ENV` is `production` (the `chronovisor` command and the bench set it), as
   * React and Redux keep such checks for development. A run records the same bytes either way.
   */
  readonly freezeRecords?: boolean;
}

/** Who issues a command from outside the simulation. */
export interface DispatchOptions {
  /** Default `user`. */
  readonly actor?: string;
}

/** What became of a dispatched command. */
export interface CommandResult<V = unknown> {
  /** The command record's seq. */
  readonly seq: number;
  readonly ok: boolean;
  /** The events it emitted (none when refused); not those of commands its reactors issued. */
  readonly events: readonly EventRecord[];
  /** What the handler returned (absent when refused). */
  readonly value?: V;
  readonly rejection?: Rejection;
}

interface Reaction {
  readonly command: CommandType;
  readonly args: unknown;
  readonly actor: string;
  readonly cause: number;
}

const DEFAULT_DIGEST_INTERVAL = 10_000;
/** The adaptive rollback window's bounds, and the state made per event that makes it grow. */
const MIN_ROLLBACK_WINDOW = 1_024;
const MAX_ROLLBACK_WINDOW = 262_144;
const COSTLY_BYTES_PER_EVENT = 64;

/**
 * A running simulation: a plugin set in an Inversify container, with a store, a simulated clock,
 * a seeded RNG and an event bus. Dispatching a command validates it, lets its handler emit events
 * (each applied to the projections at once), then appends the command and its events to the
 * store as one batch, publishes them, and runs the reactors' commands after it, in order.
 *
 * A command is atomic: if its handler or a projection throws, the state is rolled back, nothing
 * it emitted reaches the store or the bus, and the command is recorded with its rejection.
 */
export class Simulation {
  /** The public observation surface. */
  readonly bus: EventBus;
  /** The plugin set as loaded, in dependency order, with what each plugin contributes. */
  readonly plugins: readonly PluginContributions[];
  readonly eventTypes: EventTypeRegistry;
  readonly store: StoreType;

  private readonly container: Container;
  private readonly bus$: EventBusController;
  private readonly clock = new ClockImpl();
  private readonly rng: Xoshiro128StarStar;
  private readonly handlers: ReadonlyMap<string, BoundHandler>;
  private readonly projections: readonly Projection[];
  private readonly routes: ReadonlyMap<string, Route>;
  private readonly digestInterval: number;
  private readonly freezeRecords: boolean;
  /** A fixed window when given; else the current adaptive one. */
  private readonly fixedWindow: boolean;
  private rollbackWindow: number;
  /** The projections' `copiedBytes` at the last checkpoint. */
  private copiedAtCheckpoint = 0;

  private nextSeq = 1;
  private lastDigestSeq = 0;
  private dispatching = false;
  private closed = false;
  private readonly reactions: Reaction[] = [];
  /** Who is reacting (undefined when no reactor runs), and to which event. */
  private reactingActor: string | undefined;
  private reactingTo = 0;
  private readonly reactorContext: ReactorContext = {
    dispatch: <C extends CommandType>(command: C, args: ArgsOf<C>) => {
      const actor = this.reactingActor;
      if (actor === undefined)
        throw new Error(
          `A reactor may dispatch "${command.type}" only while it reacts to an event, not later`,
        );
      this.reactions.push({ command, args, actor, cause: this.reactingTo });
    },
  };
  private checkpoint: unknown[];
  /** The RNG state before the current command, to restore if it fails. */
  private readonly rngBefore = new Uint32Array(4);
  /** Emits for a handler's context; made once, so a command costs no closure. */
  private readonly emitter: Emitter = (context, type, data) => {
    context.touched = true;
    const record = this.applyEvent(
      context.tick,
      context.actor,
      context.cause,
      type,
      data,
      context.plugin,
    );
    context.records.push(record);
    return record;
  };
  /** Runs a handler's call (see `CommandContext.call`) inside the caller's batch: trusted, unrecorded. */
  private readonly caller: Caller = (parent, command, args) => {
    if (parent.depth >= MAX_CALL_DEPTH)
      throw new Error(`Calls nest deeper than ${MAX_CALL_DEPTH} (at "${command.type}"): a cycle?`);
    const handler = this.handlers.get(command.type);
    const context = new EmitContext(
      this.emitter,
      this.caller,
      parent.plugin,
      parent.cause,
      parent.tick,
      handler?.actor ?? parent.plugin,
      parent.records,
      parent.depth + 1,
    );
    try {
      if (!handler) throw new UnknownCommandError(command.type, [...this.handlers.keys()]);
      const value: unknown = handler.execute(args, context);
      if (context.failure !== undefined) throw context.failure;
      return value;
    } catch (error) {
      // Refused: so is the caller, whatever it does with the error.
      parent.failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      if (context.touched) parent.touched = true;
      context.close();
    }
  };
  private tail: EventRecord[] = [];

  constructor(options: SimulationOptions) {
    this.store = options.store ?? new MemoryStore();
    this.nextSeq = this.store.head() + 1;
    this.rng = new Xoshiro128StarStar(options.seed ?? 0);
    this.digestInterval = options.digestInterval ?? DEFAULT_DIGEST_INTERVAL;
    this.freezeRecords = options.freezeRecords ?? process.env.NODE_ENV !== 'production';
    this.fixedWindow = options.rollbackWindow !== undefined;
    this.rollbackWindow = options.rollbackWindow ?? MIN_ROLLBACK_WINDOW;
    this.bus$ = createEventBus();
    this.bus = this.bus$.bus;

    const { container, loaded } = bootPlugins(
      options.plugins,
      { clock: this.clock, rng: this.rng, bus: this.bus },
      CORE_EVENTS,
    );
    this.container = container;
    this.plugins = loaded.plugins;
    this.eventTypes = loaded.eventTypes;
    this.handlers = loaded.handlers;
    this.projections = loaded.projections;
    this.routes = buildRoutes(loaded);
    this.checkpoint = this.projections.map((p) => (p.checkpoint ? p.checkpoint() : p.snapshot()));
  }

  /** Seq of the last record; 0 before the first command. */
  get seq(): number {
    return this.nextSeq - 1;
  }

  /** The simulated time (see {@link Clock}). */
  get tick(): number {
    return this.clock.tick;
  }

  /** Every record as it is committed; shorthand for `bus.records$`. */
  get records$(): Observable<LogRecord> {
    return this.bus.records$;
  }

  /**
   * Runs a command from outside the simulation, then every command its events' reactors issue.
   * The arguments are checked against the command's schema first (this is the boundary); a bad
   * one is refused with an error naming the command, the field and the value. Advances the clock
   * by one tick. A refused command is recorded and reported in the result, not thrown.
   *
   * Name the command by its declaration for typed arguments and result, or by its type (as
   * scenario files and the CLI do).
   */
  dispatch<C extends CommandType>(
    command: C,
    args: InputOf<C>,
    options?: DispatchOptions,
  ): CommandResult<ResultOf<C>>;
  dispatch(type: string, args: unknown, options?: DispatchOptions): CommandResult;
  dispatch(
    command: CommandType | string,
    args: unknown,
    options: DispatchOptions = {},
  ): CommandResult {
    const type = typeof command === 'string' ? command : command.type;
    if (this.closed) throw new SimulationClosedError();
    if (this.dispatching) throw new ReentrantDispatchError(type);
    this.dispatching = true;
    try {
      this.clock.tick++;
      let result: CommandResult;
      try {
        result = this.execute(type, args, options.actor ?? 'user');
      } catch (error) {
        this.clock.tick--; // the command never made it into the log
        throw error;
      }
      for (let i = 0; i < this.reactions.length; i++) this.executeReaction(this.reactions[i]!);
      return result;
    } finally {
      if (this.reactions.length > 0) this.reactions.length = 0; // setting length is not free
      this.dispatching = false;
    }
  }

  /** A service bound in the container, e.g. a plugin's query: for scenarios, tests and front ends. */
  get<T>(token: ServiceIdentifier<T>): T {
    return this.container.get<T>(token);
  }

  /** Every service bound to a token, e.g. the plugins' contributions to the tools. */
  getAll<T>(token: ServiceIdentifier<T>): T[] {
    return this.container.getAll<T>(token, { optional: true });
  }

  /** The state digest now (see `stateDigest`). */
  digest(): string {
    return stateDigest(this.projections);
  }

  /** Each projection's digest, by name. */
  projectionDigests(): Record<string, string> {
    return Object.fromEntries(this.projections.map((p) => [p.name, p.digest()]));
  }

  /** Records the final state digest, flushes the store and completes the bus. */
  close(): void {
    if (this.closed) return;
    if (this.seq > this.lastDigestSeq) this.recordDigest();
    this.store.flush();
    this.closed = true;
    this.bus$.complete();
  }

  /** Runs a command from outside: checked, recorded with its outcome, then its events. */
  private execute(type: string, rawArgs: unknown, actor: string): CommandResult {
    const seq = this.nextSeq++;
    const tick = this.clock.tick;
    this.rng.copyStateTo(this.rngBefore);
    // records[0] is the command, filled in once its outcome is known; the events follow it.
    const records: LogRecord[] = [PENDING_COMMAND];
    const handler = this.handlers.get(type);
    const plugin = handler?.actor ?? actor;
    const context = new EmitContext(
      this.emitter,
      this.caller,
      actor,
      seq,
      tick,
      plugin,
      records,
      0,
    );
    let args: unknown = undefined;
    let value: unknown;
    try {
      if (!handler) throw new UnknownCommandError(type, [...this.handlers.keys()]);
      args = handler.command.parse(rawArgs);
      value = handler.execute(args, context);
      if (context.failure !== undefined) throw context.failure;
    } catch (error) {
      this.undo(seq + 1, context.touched);
      const rejection = toRejection(error);
      // Refused before its arguments were parsed: the log keeps a copy, not the caller's own.
      const recorded = args === undefined ? copyForLog(rawArgs) : args;
      this.commit([this.commandRecord(seq, tick, actor, type, recorded, rejection)]);
      return { seq, ok: false, events: [], rejection };
    } finally {
      context.close();
    }
    records[0] = this.commandRecord(seq, tick, actor, type, args);
    try {
      this.commit(records);
    } catch (error) {
      // The store refused the batch: take the command back out of state and numbering, and let it surface.
      this.undo(seq, true);
      throw error;
    }
    const events = records.slice(1) as EventRecord[];
    return value === undefined ? { seq, ok: true, events } : { seq, ok: true, events, value };
  }

  /**
   * Runs a command a reactor issued: trusted and unrecorded, like a call, so only its events reach
   * the log (caused by the event that triggered the reactor); a refusal leaves a
   * `core.reaction.failed` event naming the command instead.
   */
  private executeReaction({ command, args, actor, cause }: Reaction): void {
    const first = this.nextSeq;
    const tick = this.clock.tick;
    this.rng.copyStateTo(this.rngBefore);
    const records: LogRecord[] = [];
    const handler = this.handlers.get(command.type);
    const plugin = handler?.actor ?? actor;
    const context = new EmitContext(
      this.emitter,
      this.caller,
      actor,
      cause,
      tick,
      plugin,
      records,
      0,
    );
    try {
      if (!handler) throw new UnknownCommandError(command.type, [...this.handlers.keys()]);
      handler.execute(args, context);
      if (context.failure !== undefined) throw context.failure;
    } catch (error) {
      this.undo(first, context.touched);
      this.reactionFailed(actor, cause, tick, error, command.type);
      return;
    } finally {
      context.close();
    }
    if (records.length === 0) return;
    try {
      this.commit(records);
    } catch (error) {
      this.undo(first, true);
      throw error;
    }
  }

  /** A command from outside as the log keeps it, with its rejection when refused. */
  private commandRecord(
    seq: number,
    tick: number,
    actor: string,
    type: string,
    args: unknown,
    rejection?: Rejection,
  ): CommandRecord {
    const record: CommandRecord = rejection
      ? { seq, tick, actor, cause: 0, kind: 'command', type, args, rejection }
      : { seq, tick, actor, cause: 0, kind: 'command', type, args };
    return this.freezeRecords ? deepFreeze(record) : record;
  }

  /** Numbers an event and applies it to the projections that route it. */
  private applyEvent(
    tick: number,
    actor: string,
    cause: number,
    type: string,
    data: unknown,
    /** The emitting plugin, `plugin:<prefix>`; none for the kernel's own events. */
    plugin?: string,
  ): EventRecord {
    const route = this.routes.get(type);
    if (!route) throw new UnknownEventTypeError(type);
    if (plugin !== undefined && route.owner !== plugin)
      throw new Error(
        `${plugin} may not emit "${type}": only ${route.owner}, which declares it, may (call one of its commands instead)`,
      );
    const record: EventRecord = {
      seq: this.nextSeq++,
      tick,
      actor,
      cause,
      kind: 'event',
      type,
      v: route.v,
      data,
    };
    if (this.freezeRecords) deepFreeze(record);
    const appliers = route.appliers;
    for (let i = 0; i < appliers.length; i++) appliers[i]!(record);
    return record;
  }

  /** Stores, publishes and reacts to a batch: a command with its events, a reaction's events, or a failure. */
  private commit(records: readonly LogRecord[]): void {
    this.store.append(records);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (record.kind === 'event') this.tail.push(record);
    }
    if (this.tail.length >= this.rollbackWindow) this.takeCheckpoint();
    if (this.bus$.observed()) for (const record of records) this.bus$.publish(record);
    for (let i = 0; i < records.length; i++) {
      const event = records[i]!;
      if (event.kind !== 'event') continue;
      const reactions = this.routes.get(event.type)!.reactions;
      for (let r = 0; r < reactions.length; r++) this.react(reactions[r]!, event);
    }
    if (this.digestInterval > 0 && this.seq - this.lastDigestSeq >= this.digestInterval)
      this.recordDigest();
  }

  private react({ reactor, react }: RoutedReaction, event: EventRecord): void {
    // One context serves every reaction (a reaction an event is the hot path): it queues onto
    // `reactions` directly, and a reactor that throws takes back what it queued.
    const queued = this.reactions.length;
    this.reactingActor = reactor.actor;
    this.reactingTo = event.seq;
    try {
      react(event, this.reactorContext);
    } catch (error) {
      this.reactions.length = queued;
      this.reactionFailed(reactor.actor, event.seq, event.tick, error);
    } finally {
      this.reactingActor = undefined;
    }
  }

  private reactionFailed(
    reactor: string,
    cause: number,
    tick: number,
    error: unknown,
    command?: string,
  ): void {
    const { error: name, message } = toRejection(error);
    const data: DataOf<typeof reactionFailed> = {
      reactor,
      ...(command === undefined ? {} : { command }),
      error: name,
      message,
    };
    this.commit([this.applyEvent(tick, reactor, cause, reactionFailed.type, data)]);
  }

  /** Takes back the effects of a command that failed: state, RNG, and numbering from `nextSeq` on. */
  private undo(nextSeq: number, stateTouched: boolean): void {
    if (stateTouched) {
      this.projections.forEach((projection, i) => {
        const checkpoint = this.checkpoint[i];
        if (projection.rollback) projection.rollback(checkpoint);
        else projection.restore(checkpoint);
      });
      for (const event of this.tail) {
        const appliers = this.routes.get(event.type)!.appliers;
        for (let i = 0; i < appliers.length; i++) appliers[i]!(event);
      }
    }
    this.rng.setState(this.rngBefore);
    this.nextSeq = nextSeq;
  }

  private takeCheckpoint(): void {
    if (!this.fixedWindow) {
      // What the last checkpoint cost shows in what the projections copied since: what it shared.
      const copied = this.copiedBytes();
      const costly = copied - this.copiedAtCheckpoint > COSTLY_BYTES_PER_EVENT * this.tail.length;
      // Up at once (a costly checkpoint costs on every window), down gently.
      this.rollbackWindow = costly
        ? MAX_ROLLBACK_WINDOW
        : Math.max(MIN_ROLLBACK_WINDOW, this.rollbackWindow / 2);
    }
    this.checkpoint = this.projections.map((p) => (p.checkpoint ? p.checkpoint() : p.snapshot()));
    this.tail = [];
    if (!this.fixedWindow) this.copiedAtCheckpoint = this.copiedBytes();
  }

  private copiedBytes(): number {
    let bytes = 0;
    for (const p of this.projections) bytes += p.copiedBytes?.() ?? 0;
    return bytes;
  }

  private recordDigest(): void {
    const projections = this.projectionDigests();
    this.store.appendDigest({ seq: this.seq, digest: combineDigests(projections), projections });
    this.lastDigestSeq = this.seq;
  }
}

type Emitter = (context: EmitContext, type: string, data: unknown) => EventRecord;
type Caller = (parent: EmitContext, command: CommandType, args: unknown) => unknown;

/** Calls calling calls: far deeper than any plugin needs, shallow enough to catch a cycle. */
const MAX_CALL_DEPTH = 16;

/** Stands in records[0] while a command executes. */
const PENDING_COMMAND = {} as CommandRecord;

/** The {@link CommandContext} a handler gets; it stops working once the handler returns. */
class EmitContext implements CommandContext {
  /** Set before the first event is applied: from then on a failure must roll the state back. */
  touched = false;
  /** A refused call's error: it refuses this command too, even if the handler caught it. */
  failure: Error | undefined = undefined;
  private open = true;

  constructor(
    private readonly emitter: Emitter,
    private readonly caller: Caller,
    readonly actor: string,
    readonly cause: number,
    readonly tick: number,
    /** `plugin:<prefix>` of the handler running: the actor of the commands it calls. */
    readonly plugin: string,
    /** The batch: the outside command (filled in at the end), then each event as it is emitted. */
    readonly records: LogRecord[],
    readonly depth: number,
  ) {}

  emit<E extends EventType>(event: E, data: DataOf<E>): TypedEvent<E> {
    if (!this.open)
      throw new Error(
        `A command of cause ${this.cause} has finished executing; it cannot emit "${event.type}" any more`,
      );
    return this.emitter(this, event.type, data) as TypedEvent<E>;
  }

  call<C extends CommandType>(command: C, args: ArgsOf<C>): ResultOf<C> {
    if (!this.open)
      throw new Error(
        `A command of cause ${this.cause} has finished executing; it cannot call "${command.type}" any more`,
      );
    return this.caller(this, command, args) as ResultOf<C>;
  }

  close(): void {
    this.open = false;
  }
}

/**
 * A deep copy of plain data (the caller's arguments of a refused command): objects, arrays and
 * byte arrays copied, anything else kept as it is (the store says so if it cannot encode it).
 */
function copyForLog(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return value.map(copyForLog);
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = copyForLog(item);
  return copy;
}

/**
 * Freezes a record all the way down, so that nobody holding it (a handler, a caller, an observer)
 * can change it. Typed arrays cannot be frozen and are left as they are.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) freeze(value);
  return value;
}

function freeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  // Primitives checked here, not in a call each: payloads are mostly numbers and strings.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && !ArrayBuffer.isView(item)) freeze(item);
    }
  } else {
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null && !ArrayBuffer.isView(item)) freeze(item);
    }
  }
}

function toRejection(error: unknown): Rejection {
  if (error instanceof Error) return { error: error.name, message: error.message };
  return { error: 'Error', message: String(error) };
}
