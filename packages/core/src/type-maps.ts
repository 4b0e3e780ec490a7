/**
 * Command argument types by command type. Plugins add theirs by declaration merging:
 *
 * ```ts
 * declare module '@chronovisor/core' {
 *   interface CommandMap { 'counter.increment': { name: string; by: number } }
 * }
 * ```
 *
 * so that `simulation.dispatch('counter.increment', …)` is type-checked.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CommandMap {}

/** Event payload types by event type, extended by plugins like {@link CommandMap}. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventMap {}

/** What command types return to their caller, extended by plugins like {@link CommandMap}. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CommandValueMap {}

/** The argument type of command `T`, or `unknown` for a command no plugin typed. */
export type CommandArgs<T extends string> = T extends keyof CommandMap ? CommandMap[T] : unknown;

/** The payload type of event `T`, or `unknown` for an event no plugin typed. */
export type EventData<T extends string> = T extends keyof EventMap ? EventMap[T] : unknown;

/** What command `T` returns to its caller, or `unknown` for a command no plugin typed. */
export type CommandValue<T extends string> = T extends keyof CommandValueMap
  ? CommandValueMap[T]
  : unknown;
