import type { EventTypeRegistry, FrameEffect, LogRecord } from '@chronovisor/core';
import type { Access, Accesses } from './provenance';

/** What a record does to whole frames, as the plugin set's declarations say. */
export type FrameEffects = (record: LogRecord) => FrameEffect | undefined;

/** Reads frame effects as the event declarations describe them (`defineEvent(…, { frames })`). */
export function frameEffectsOf(eventTypes: EventTypeRegistry): FrameEffects {
  return (record) => (record.kind === 'event' ? eventTypes.framesOf(record) : undefined);
}

/** How a record touched tracked bytes. */
export interface Touch {
  /**
   * `read` or `write`: an access; `copy`: a copy-on-write fault gave the bytes a new frame (their
   * values unchanged); `load`: a lazy page was loaded with them.
   */
  readonly how: 'read' | 'write' | 'copy' | 'load';
  readonly access: Access;
  /** For a copy: the host physical address the bytes were copied from. */
  readonly from?: number;
}

/** Bytes of one space within one page, and the host physical address behind them where known. */
export interface Place {
  readonly space: number;
  readonly va: number;
  readonly length: number;
  readonly pa?: number;
}

/** What a trail needs to read records: their accesses and frame effects, and the page size. */
export interface TrailReading {
  readonly accessOf: Accesses;
  readonly framesOf: FrameEffects;
  readonly pageSize: number;
}

/**
 * Follows bytes through physical memory, one record at a time in either direction: through
 * shares, forks, remaps and stage 2 (which leave the bytes where they are), across copy-on-write
 * copies (which move them to a new frame), to the load or free where they began or ended.
 * Accesses without a physical address (a plugin's account of its own structures) are matched in
 * the place's own space.
 *
 * Fed backwards, each record is taken against the state right after it; forwards, right before it.
 */
export class ByteTrail {
  private pa: number | undefined;
  /** The bytes' frame was freed past here (backwards: it had another life before): nothing more matches. */
  private ended = false;

  constructor(
    private readonly reading: TrailReading,
    readonly place: Place,
  ) {
    this.pa = place.pa;
  }

  /** The host physical address of the bytes now, if they have one. */
  get physical(): number | undefined {
    return this.pa;
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Takes one record going backwards; what it did to the bytes, if anything. */
  back(record: LogRecord): Touch | undefined {
    if (this.ended) return undefined;
    const effect = this.reading.framesOf(record);
    if (effect && this.pa !== undefined) {
      const frame = this.frame(this.pa);
      const offset = this.pa % this.reading.pageSize;
      if (effect.kind === 'copy' && effect.to === frame) {
        const from = effect.from * this.reading.pageSize + offset;
        const touch = this.frameTouch(record, 'copy', effect, from);
        this.pa = from;
        return touch;
      }
      if (effect.kind === 'fill' && effect.frame === frame) {
        this.ended = true; // before the load, the page held nothing
        return this.frameTouch(record, 'load', effect);
      }
      if (effect.kind === 'free' && effect.frames.includes(frame)) {
        this.ended = true; // the frame was free before the bytes came to it
        return undefined;
      }
    }
    return this.accessTouch(record);
  }

  /** Takes one record going forwards; what it did to the bytes, if anything. */
  forward(record: LogRecord): Touch | undefined {
    if (this.ended) return undefined;
    const effect = this.reading.framesOf(record);
    if (effect) {
      const page = (va: number) => Math.floor(va / this.reading.pageSize);
      const ours = effect.kind !== 'free' && effect.space === this.place.space;
      const samePage = ours && page(effect.va) === page(this.place.va);
      if (this.pa === undefined) {
        if (effect.kind === 'fill' && samePage) {
          this.pa = effect.frame * this.reading.pageSize + (this.place.va % this.reading.pageSize);
          return this.frameTouch(record, 'load', effect);
        }
      } else {
        const frame = this.frame(this.pa);
        if (effect.kind === 'copy' && effect.from === frame && samePage) {
          const from = this.pa;
          this.pa = effect.to * this.reading.pageSize + (this.pa % this.reading.pageSize);
          return this.frameTouch(record, 'copy', effect, from);
        }
        if (effect.kind === 'free' && effect.frames.includes(frame)) {
          this.ended = true; // the bytes are gone; the frame's next owner finds zeros
          return undefined;
        }
      }
    }
    const touch = this.accessTouch(record);
    // A place with no frame yet (mapped later) takes the first one an access of it reaches.
    if (touch && this.pa === undefined && touch.access.pa !== undefined)
      this.pa = touch.access.pa + (this.place.va - touch.access.va);
    return touch;
  }

  private frame(pa: number): number {
    return Math.floor(pa / this.reading.pageSize);
  }

  private accessTouch(record: LogRecord): Touch | undefined {
    const access = this.reading.accessOf(record);
    if (!access) return undefined;
    const { place } = this;
    const hit =
      access.pa !== undefined && this.pa !== undefined
        ? access.pa < this.pa + place.length && this.pa < access.pa + access.length
        : access.space === place.space &&
          access.va < place.va + place.length &&
          place.va < access.va + access.length;
    return hit ? { how: access.kind, access } : undefined;
  }

  /** A frame effect as an access of the whole page, by the record's actor for its cause. */
  private frameTouch(
    record: LogRecord,
    how: 'copy' | 'load',
    effect: Extract<FrameEffect, { space: number }>,
    from?: number,
  ): Touch {
    const { pageSize } = this.reading;
    const frame = effect.kind === 'copy' ? effect.to : effect.frame;
    const access: Access = {
      kind: 'write',
      space: effect.space,
      va: Math.floor(effect.va / pageSize) * pageSize,
      length: pageSize,
      pa: frame * pageSize,
      seq: record.seq,
      actor: record.actor,
      cause: record.cause,
    };
    return from === undefined ? { how, access } : { how, access, from };
  }
}
