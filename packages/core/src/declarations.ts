import { z } from 'zod';
import { ChronovisorError } from './errors';
import type { EventRecord, LogRecord } from './record';
import type { EventMark, FrameEffect, MemoryAccess } from './tools';
import { parserFor } from './validation';

/** Lifts an event payload from one schema version to the next. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an upcaster reads an old shape no type describes any more
export type Upcaster = (data: any) => unknown;

/** What a command returns to its caller, named only for its type: `returns<ReadOutcome>()`. */
export interface Returns<R> {
  readonly _returns?: R;
}

/** Gives a command's declaration the type its handler returns. */
export function returns<R>(): Returns<R> {
  return {};
}

/**
 * A command type, declared once with {@link defineCommand}: its name, the schema its arguments
 * are checked against at the boundary, and what its handler returns. Handlers, dispatch, calls and
 * reactors name the declaration itself, so every one of them is typed by it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any` lets every declaration stand where any command is meant
export interface CommandType<T extends string = string, In = any, Args = any, R = any> {
  readonly kind: 'command';
  /** `<plugin>.<verb>`, e.g. `mmu.map`. */
  readonly type: T;
  readonly description?: string;
  /** The arguments' schema: documentation, the boundary's check, and later the codec. */
  readonly schema: z.ZodType<Args, In>;
  /**
   * Checks arguments from outside the simulation and returns them with defaults filled in; throws
   * a ValidationError naming the command, each bad field and its value.
   */
  readonly parse: (raw: unknown) => Args;
  readonly _in?: In;
  readonly _returns?: R;
}

/**
 * An event type, declared once with {@link defineEvent}: its name, its payload's schema, its
 * schema version and how older versions are read.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for CommandType
export interface EventType<T extends string = string, D = any> {
  readonly kind: 'event';
  /** `<plugin>.<noun>.<past-tense verb>`, e.g. `heap.block.allocated`. */
  readonly type: T;
  readonly description?: string;
  /** The payload's schema: documentation, checks on imported logs, and later the codec. */
  readonly schema: z.ZodType<D>;
  /** The version new records are written with; starts at 1. */
  readonly version: number;
  /** `upcasters[v]` lifts version `v` to `v + 1`; one for every version below `version`. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  /** Counts the event among a run's faults or violations (summaries, stats, the web page). */
  readonly marks?: EventMark;
  /** The memory the event reads or writes, for provenance (`why`) and watchpoints. */
  readonly access?: (data: D) => MemoryAccess;
  /** What the event does to whole frames (copies, loads, frees), for provenance through physical memory. */
  readonly frames?: (data: D) => FrameEffect | undefined;
}

/** What a handler of command `C` receives: its arguments with defaults filled in. */
export type ArgsOf<C> = C extends CommandType<string, unknown, infer A> ? A : never;
/** What a caller from outside passes to command `C` (defaults may be left out). */
export type InputOf<C> = C extends CommandType<string, infer I> ? I : never;
/** What command `C` returns to its caller. */
export type ResultOf<C> = C extends CommandType<string, unknown, unknown, infer R> ? R : never;
/** The payload of event type `E`. */
export type DataOf<E> = E extends EventType<string, infer D> ? D : never;
/** A recorded event of type `E`, typed by its payload. */
export type TypedEvent<E extends EventType> = EventRecord<DataOf<E>> & { readonly type: E['type'] };

/** True when `record` is an event of the declared type, and so typed by its payload. */
export function isEvent<E extends EventType>(
  record: LogRecord,
  declaration: E,
): record is TypedEvent<E> {
  return record.kind === 'event' && record.type === declaration.type;
}

/** A declaration that cannot be: bad name, bad version, missing upcaster. */
export class DeclarationError extends ChronovisorError {}

const COMMAND_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/;

/**
 * Declares a command type once; everything else is derived from it:
 *
 * ```ts
 * export const increment = defineCommand('counter.increment', {
 *   args: z.object({ name: z.string().min(1), by: z.number().int().default(1) }),
 *   description: 'Add `by` (default 1) to counter `name`.',
 * });
 * ```
 */
export function defineCommand<T extends string, S extends z.ZodType, R = void>(
  type: T,
  spec: { readonly args: S; readonly description?: string; readonly returns?: Returns<R> },
): CommandType<T, z.input<S>, z.output<S>, R> {
  if (!COMMAND_TYPE.test(type))
    throw new DeclarationError(
      `Command type "${type}" is not of the form <plugin>.<verb> in lowercase`,
    );
  // A field the command does not know is refused at the boundary, not dropped: a typo in a
  // command file must not pass as a default.
  const schema = (spec.args instanceof z.ZodObject ? spec.args.strict() : spec.args) as z.ZodType<
    z.output<S>,
    z.input<S>
  >;
  return Object.freeze({
    kind: 'command' as const,
    type,
    schema,
    parse: parserFor(schema, `command ${type}`),
    ...(spec.description === undefined ? {} : { description: spec.description }),
  });
}

/**
 * Declares an event type once:
 *
 * ```ts
 * export const incremented = defineEvent('counter.value.incremented', {
 *   data: z.object({ name: z.string(), by: z.number(), value: z.number() }),
 *   version: 2,
 *   upcasters: { 1: ({ amount, ...rest }: { amount: number }) => ({ ...rest, by: amount }) },
 * });
 * ```
 */
export function defineEvent<T extends string, S extends z.ZodType>(
  type: T,
  spec: {
    readonly data: S;
    readonly description?: string;
    readonly version?: number;
    readonly upcasters?: Readonly<Record<number, Upcaster>>;
    readonly marks?: EventMark;
    readonly access?: (data: z.output<S>) => MemoryAccess;
    readonly frames?: (data: z.output<S>) => FrameEffect | undefined;
  },
): EventType<T, z.output<S>> {
  const { version = 1, upcasters = {} } = spec;
  if (!EVENT_TYPE.test(type))
    throw new DeclarationError(
      `Event type "${type}" is not of the form <plugin>.<noun>.<past-tense verb> in lowercase`,
    );
  if (!Number.isInteger(version) || version < 1)
    throw new DeclarationError(
      `Event type "${type}" has version ${version}; versions are integers from 1`,
    );
  for (let v = 1; v < version; v++) {
    if (typeof upcasters[v] !== 'function')
      throw new DeclarationError(
        `Event type "${type}" is at version ${version} but gives no upcaster from version ${v} to ${v + 1}`,
      );
  }
  return Object.freeze({
    kind: 'event' as const,
    type,
    schema: spec.data as z.ZodType<z.output<S>>,
    version,
    upcasters,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.marks === undefined ? {} : { marks: spec.marks }),
    ...(spec.access === undefined ? {} : { access: spec.access }),
    ...(spec.frames === undefined ? {} : { frames: spec.frames }),
  });
}
