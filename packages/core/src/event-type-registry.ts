import { ChronovisorError } from './errors';
import type { EventType } from './declarations';
import type { EventMark, FrameEffect, MemoryAccess } from './tools';
import type { EventRecord } from './record';

/** An event type as registered: its declaration and the plugin that declared it. */
export interface RegisteredEventType {
  readonly type: string;
  readonly version: number;
  readonly owner: string;
  readonly description?: string;
}

/** A record that cannot be read by this plugin set: unknown type, or written by a newer plugin. */
export class EventVersionError extends ChronovisorError {}

interface Entry extends RegisteredEventType {
  readonly declaration: EventType;
}

/**
 * Every event type a plugin set can emit, with its current schema version. Old records are read
 * through the upcasters of their type, so a log is never rewritten when a payload changes shape.
 * The plugin host registers the declarations, after checking their owners.
 */
export class EventTypeRegistry {
  private readonly entries = new Map<string, Entry>();

  /** Registers the event types `owner` (a plugin name) declares. */
  register(owner: string, declarations: readonly EventType[]): void {
    for (const declaration of declarations) {
      const { type, version, description } = declaration;
      this.entries.set(type, {
        type,
        version,
        owner,
        declaration,
        ...(description ? { description } : {}),
      });
    }
  }

  /** The version records of `type` are written with, or undefined for a type nobody declared. */
  version(type: string): number | undefined {
    return this.entries.get(type)?.version;
  }

  has(type: string): boolean {
    return this.entries.has(type);
  }

  /** The declaration of `type`, if a plugin of the set declares it. */
  declaration(type: string): EventType | undefined {
    return this.entries.get(type)?.declaration;
  }

  /** Whether a recorded event is a fault or a violation, as its declaration says. */
  markOf(record: EventRecord): EventMark | undefined {
    return this.entries.get(record.type)?.declaration.marks;
  }

  /** The memory a recorded event reads or writes, as its declaration says (after upcasting). */
  accessOf(record: EventRecord): MemoryAccess | undefined {
    const access = this.entries.get(record.type)?.declaration.access;
    return access && access(this.upcast(record).data);
  }

  /** What a recorded event does to whole frames, as its declaration says (after upcasting). */
  framesOf(record: EventRecord): FrameEffect | undefined {
    const frames = this.entries.get(record.type)?.declaration.frames;
    return frames && frames(this.upcast(record).data);
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
    for (let v = record.v; v < entry.version; v++) data = entry.declaration.upcasters[v]!(data);
    return Object.freeze({ ...record, v: entry.version, data });
  }
}
