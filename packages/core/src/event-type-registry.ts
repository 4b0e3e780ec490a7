import { ChronovisorError, UnknownEventTypeError } from './errors';
import type { EventRecord } from './record';

/** Lifts an event payload from one schema version to the next. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an upcaster reads an old shape no type describes any more
export type Upcaster = (data: any) => unknown;

/** An event type a plugin emits, with its schema version and how to read older versions. */
export interface EventTypeDefinition {
  /** `<plugin>.<noun>.<past-tense verb>`, e.g. `heap.block.allocated`. */
  readonly type: string;
  /** The version new records are written with; starts at 1. */
  readonly version?: number;
  /** `upcasters[v]` lifts version `v` to `v + 1`; one for every version below the current one. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
  /** One line for `chronovisor plugins` and the docs. */
  readonly description?: string;
}

/** An event type as registered: its definition and the plugin that declared it. */
export interface RegisteredEventType {
  readonly type: string;
  readonly version: number;
  readonly owner: string;
  readonly description?: string;
}

/** An event type declared twice, or declared without the upcasters its version needs. */
export class EventTypeError extends ChronovisorError {}

/** A record that cannot be read by this plugin set: unknown type, or written by a newer plugin. */
export class EventVersionError extends ChronovisorError {}

const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/;

interface Entry extends RegisteredEventType {
  readonly upcasters: Readonly<Record<number, Upcaster>>;
}

/**
 * Every event type a plugin set can emit, with its current schema version. Old records are read
 * through the upcasters of their type, so a log is never rewritten when a payload changes shape.
 */
export class EventTypeRegistry {
  private readonly entries = new Map<string, Entry>();

  /** Registers the event types `owner` (a plugin name) declares. */
  register(owner: string, definitions: readonly EventTypeDefinition[]): void {
    for (const definition of definitions) this.registerOne(owner, definition);
  }

  private registerOne(owner: string, definition: EventTypeDefinition): void {
    const { type, version = 1, upcasters = {}, description } = definition;
    if (!EVENT_TYPE_PATTERN.test(type)) {
      throw new EventTypeError(
        `Plugin "${owner}" declares event type "${type}", which is not of the form <plugin>.<noun>.<past-tense verb> in lowercase`,
      );
    }
    const existing = this.entries.get(type);
    if (existing) {
      throw new EventTypeError(
        `Event type "${type}" is declared by both "${existing.owner}" and "${owner}"`,
      );
    }
    if (!Number.isInteger(version) || version < 1) {
      throw new EventTypeError(
        `Plugin "${owner}" declares event type "${type}" with version ${version}; versions are integers from 1`,
      );
    }
    for (let v = 1; v < version; v++) {
      if (typeof upcasters[v] !== 'function') {
        throw new EventTypeError(
          `Plugin "${owner}" declares event type "${type}" at version ${version} but gives no upcaster from version ${v} to ${v + 1}`,
        );
      }
    }
    this.entries.set(type, {
      type,
      version,
      owner,
      upcasters,
      ...(description ? { description } : {}),
    });
  }

  /** The version records of `type` are written with. */
  version(type: string): number {
    const entry = this.entries.get(type);
    if (!entry) throw new UnknownEventTypeError(type);
    return entry.version;
  }

  has(type: string): boolean {
    return this.entries.has(type);
  }

  /** Every registered type, in registration order. */
  list(): readonly RegisteredEventType[] {
    return [...this.entries.values()].map(({ type, version, owner, description }) => ({
      type,
      version,
      owner,
      ...(description ? { description } : {}),
    }));
  }

  /**
   * The record as the current plugin set reads it: the same object when it is already at the
   * current version, else a copy whose payload went through each upcaster in turn.
   */
  upcast(record: EventRecord): EventRecord {
    const entry = this.entries.get(record.type);
    if (!entry) {
      throw new EventVersionError(
        `Record ${record.seq}: event type "${record.type}" is not declared by any plugin in this set`,
      );
    }
    if (record.v === entry.version) return record;
    if (!Number.isInteger(record.v) || record.v < 1 || record.v > entry.version) {
      throw new EventVersionError(
        `Record ${record.seq}: "${record.type}" version ${record.v} cannot be read by "${entry.owner}", which knows versions 1 to ${entry.version}`,
      );
    }
    let data: unknown = record.data;
    for (let v = record.v; v < entry.version; v++) data = entry.upcasters[v]!(data);
    return { ...record, v: entry.version, data };
  }
}
