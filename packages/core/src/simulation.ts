import type { Container, ServiceIdentifier } from 'inversify';
import type { Observable } from 'rxjs';
import { ClockImpl } from './clock';
import type {
  CommandContext,
  CommandHandler,
  Projection,
  Reactor,
  ReactorContext,
} from './contributions';
import { UnknownCommandError, UnknownEventTypeError } from './errors';
import { createEventBus, type EventBus, type EventBusController } from './event-bus';
import { bootPlugins } from './kernel-container';
import { buildRoutes, type Route } from './routing-table';
import type { EventTypeDefinition, EventTypeRegistry } from './event-type-registry';
import { MemoryStore } from './memory-store';
import type { Plugin } from './plugin';
import type { PluginContributions } from './plugin-host';
import type { CommandRecord, EventRecord, LogRecord, Rejection } from './record';
import { Xoshiro128StarStar } from './rng';
import { ReentrantDispatchError, SimulationClosedError } from './simulation-errors';
import { combineDigests, stateDigest } from './state-digest';
import type { Store as StoreType } from './store';
import type { CommandArgs, CommandValue, EventData } from './type-maps';

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
   * Events between the kernel's private rollback checkpoints; default 262,144. A command that fails
   * after emitting restores the last checkpoint and re-applies the events since, so a larger
   * window means fewer snapshots on the hot path and a slower (rare) rollback. Snapshots are
   * O(changed), but each one makes the next write to every page copy it: with random writes
   * over a large memory a small window copies a page per write.
   */
  readonly rollbackWindow?: number;
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

/** The kernel's own event types. */
export const CORE_EVENTS: readonly EventTypeDefinition[] = [
  {
    type: 'core.reaction.failed',
    description: 'A reactor threw; the commands it had issued for that event were dropped.',
  },
];

/** Payload of `core.reaction.failed`. */
export interface ReactionFailed {
  readonly reactor: string;
  readonly error: string;
  readonly message: string;
}

interface Reaction {
  readonly type: string;
  readonly args: unknown;
  readonly actor: string;
  readonly cause: number;
}

const DEFAULT_DIGEST_INTERVAL = 10_000;
const DEFAULT_ROLLBACK_WINDOW = 262_144;

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
  private readonly handlers: ReadonlyMap<string, CommandHandler>;
  private readonly projections: readonly Projection[];
  private readonly routes: ReadonlyMap<string, Route>;
  private readonly digestInterval: number;
  private readonly rollbackWindow: number;

  private nextSeq = 1;
  private lastDigestSeq = 0;
  private dispatching = false;
  private closed = false;
  private readonly reactions: Reaction[] = [];
  private checkpoint: unknown[];
  /** The RNG state before the current command, to restore if it fails. */
  private readonly rngBefore = new Uint32Array(4);
  /** Emits for a handler's context; made once, so a command costs no closure. */
  private readonly emitter: Emitter = (context, type, data) => {
    context.touched = true;
    const record = this.applyEvent(context.tick, context.actor, context.seq, type, data);
    context.records.push(record);
    return record;
  };
  /** Runs a handler's sub-command (see `CommandContext.call`) inside the caller's batch. */
  private readonly caller: Caller = (parent, type, rawArgs) => {
    if (parent.depth >= MAX_CALL_DEPTH)
      throw new Error(`Sub-commands nest deeper than ${MAX_CALL_DEPTH} (at "${type}"): a cycle?`);
    const seq = this.nextSeq++;
    const at = parent.records.length;
    parent.records.push(PENDING_COMMAND);
    const actor = `plugin:${parent.type.slice(0, parent.type.indexOf('.'))}`;
    const context = new EmitContext(
      this.emitter,
      this.caller,
      type,
      seq,
      parent.tick,
      actor,
      parent.records,
      parent.depth + 1,
    );
    try {
      const handler = this.handlers.get(type);
      if (!handler) throw new UnknownCommandError(type, [...this.handlers.keys()]);
      const args = handler.parse(rawArgs);
      const value = handler.execute(args, context);
      if (context.failure !== undefined) throw context.failure;
      parent.records[at] = {
        seq,
        tick: parent.tick,
        actor,
        cause: parent.seq,
        kind: 'command',
        type,
        args,
      };
      parent.subcommands = true;
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
    this.rollbackWindow = options.rollbackWindow ?? DEFAULT_ROLLBACK_WINDOW;
    this.bus$ = createEventBus();
    this.bus = this.bus$.bus;

    const { container, loaded } = bootPlugins(
      options.plugins,
      { clock: this.clock, rng: this.rng, bus: this.bus, store: this.store },
      CORE_EVENTS,
    );
    this.container = container;
    this.plugins = loaded.plugins;
    this.eventTypes = loaded.eventTypes;
    this.handlers = loaded.handlers;
    this.projections = loaded.projections;
    this.routes = buildRoutes(loaded);
    this.checkpoint = this.projections.map((p) => p.snapshot());
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
   * Advances the clock by one tick. A refused command is recorded and reported in the result,
   * not thrown.
   */
  dispatch<T extends string>(
    type: T,
    args: CommandArgs<T>,
    options: DispatchOptions = {},
  ): CommandResult<CommandValue<T>> {
    if (this.closed) throw new SimulationClosedError();
    if (this.dispatching) throw new ReentrantDispatchError(type);
    this.dispatching = true;
    try {
      this.clock.tick++;
      let result: CommandResult;
      try {
        result = this.execute(type, args, options.actor ?? 'user', 0);
      } catch (error) {
        this.clock.tick--; // the command never made it into the log
        throw error;
      }
      for (let i = 0; i < this.reactions.length; i++) {
        const { type, args, actor, cause } = this.reactions[i]!;
        this.execute(type, args, actor, cause);
      }
      return result as CommandResult<CommandValue<T>>;
    } finally {
      if (this.reactions.length > 0) this.reactions.length = 0; // setting length is not free
      this.dispatching = false;
    }
  }

  /** A service bound in the container, e.g. a plugin's query: for scenarios, tests and front ends. */
  get<T>(token: ServiceIdentifier<T>): T {
    return this.container.get<T>(token);
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

  private execute(type: string, rawArgs: unknown, actor: string, cause: number): CommandResult {
    const seq = this.nextSeq++;
    const tick = this.clock.tick;
    this.rng.copyStateTo(this.rngBefore);
    // records[0] is the command, filled in once its outcome is known; the events follow it.
    const records: LogRecord[] = [PENDING_COMMAND];
    const context = new EmitContext(this.emitter, this.caller, type, seq, tick, actor, records, 0);
    let args = rawArgs;
    let value: unknown;
    try {
      const handler = this.handlers.get(type);
      if (!handler) throw new UnknownCommandError(type, [...this.handlers.keys()]);
      args = handler.parse(rawArgs);
      value = handler.execute(args, context);
      if (context.failure !== undefined) throw context.failure;
    } catch (error) {
      this.undo(seq, context.touched);
      const rejection = toRejection(error);
      const command: CommandRecord = {
        seq,
        tick,
        actor,
        cause,
        kind: 'command',
        type,
        args,
        rejection,
      };
      this.commit([command]);
      return { seq, ok: false, events: [], rejection };
    } finally {
      context.close();
    }
    records[0] = { seq, tick, actor, cause, kind: 'command', type, args };
    try {
      this.commit(records);
    } catch (error) {
      // The store refused the batch: take the command back out of state and numbering, and let it surface.
      this.undo(seq, true);
      this.nextSeq = seq;
      throw error;
    }
    const events = (
      context.subcommands ? records.filter((r) => r.kind === 'event') : records.slice(1)
    ) as EventRecord[];
    return value === undefined ? { seq, ok: true, events } : { seq, ok: true, events, value };
  }

  /** Numbers an event and applies it to the projections that route it. */
  private applyEvent(
    tick: number,
    actor: string,
    cause: number,
    type: string,
    data: unknown,
  ): EventRecord {
    const route = this.routes.get(type);
    if (!route) throw new UnknownEventTypeError(type);
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
    const projections = route.projections;
    for (let i = 0; i < projections.length; i++) projections[i]!.apply(record);
    return record;
  }

  /** Stores, publishes and reacts to a batch: a command with its events and sub-commands, or a reactor failure. */
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
      const reactors = this.routes.get(event.type)!.reactors;
      for (let r = 0; r < reactors.length; r++) this.react(reactors[r]!, event);
    }
    if (this.digestInterval > 0 && this.seq - this.lastDigestSeq >= this.digestInterval)
      this.recordDigest();
  }

  private react(reactor: Reactor, event: EventRecord): void {
    const issued: Reaction[] = [];
    const context: ReactorContext = {
      dispatch: <T extends string>(type: T, args: CommandArgs<T>) => {
        issued.push({ type, args, actor: reactor.actor, cause: event.seq });
      },
    };
    try {
      reactor.react(event, context);
    } catch (error) {
      const { error: name, message } = toRejection(error);
      const data: ReactionFailed = { reactor: reactor.actor, error: name, message };
      const failure = this.applyEvent(
        event.tick,
        reactor.actor,
        event.seq,
        'core.reaction.failed',
        data,
      );
      this.commit([failure]);
      return;
    }
    for (const reaction of issued) this.reactions.push(reaction);
  }

  /** Takes back the effects of a command that failed after `seq` was handed to it. */
  private undo(seq: number, stateTouched: boolean): void {
    if (stateTouched) {
      this.projections.forEach((projection, i) => projection.restore(this.checkpoint[i]));
      for (const event of this.tail) {
        const projections = this.routes.get(event.type)!.projections;
        for (let i = 0; i < projections.length; i++) projections[i]!.apply(event);
      }
    }
    this.rng.setState(this.rngBefore);
    this.nextSeq = seq + 1;
  }

  private takeCheckpoint(): void {
    this.checkpoint = this.projections.map((p) => p.snapshot());
    this.tail = [];
  }

  private recordDigest(): void {
    const projections = this.projectionDigests();
    this.store.appendDigest({ seq: this.seq, digest: combineDigests(projections), projections });
    this.lastDigestSeq = this.seq;
  }
}

type Emitter = (context: EmitContext, type: string, data: unknown) => EventRecord;
type Caller = (parent: EmitContext, type: string, args: unknown) => unknown;

/** Sub-commands calling sub-commands: far deeper than any plugin needs, shallow enough to catch a cycle. */
const MAX_CALL_DEPTH = 16;

/** Stands in records[0] while a command executes. */
const PENDING_COMMAND = {} as CommandRecord;

/** The {@link CommandContext} a handler gets; it stops working once the handler returns. */
class EmitContext implements CommandContext {
  /** Set before the first event is applied: from then on a failure must roll the state back. */
  touched = false;
  /** Set when a sub-command is recorded: the batch then holds commands among its events. */
  subcommands = false;
  /** A refused sub-command's error: it refuses this command too, even if the handler caught it. */
  failure: Error | undefined = undefined;
  private open = true;

  constructor(
    private readonly emitter: Emitter,
    private readonly caller: Caller,
    /** This command's type. */
    readonly type: string,
    readonly seq: number,
    readonly tick: number,
    readonly actor: string,
    /** The command's records: its own (filled in at the end), then each event as it is emitted. */
    readonly records: LogRecord[],
    readonly depth: number,
  ) {}

  emit<T extends string>(type: T, data: EventData<T>): EventRecord<EventData<T>> {
    if (!this.open)
      throw new Error(
        `Command ${this.seq} has finished executing; it cannot emit "${type}" any more`,
      );
    return this.emitter(this, type, data) as EventRecord<EventData<T>>;
  }

  call<T extends string>(type: T, args: CommandArgs<T>): CommandValue<T> {
    if (!this.open)
      throw new Error(
        `Command ${this.seq} has finished executing; it cannot call "${type}" any more`,
      );
    return this.caller(this, type, args) as CommandValue<T>;
  }

  close(): void {
    this.open = false;
  }
}

function toRejection(error: unknown): Rejection {
  if (error instanceof Error) return { error: error.name, message: error.message };
  return { error: 'Error', message: String(error) };
}
