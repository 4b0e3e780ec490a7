/** What every record in the log carries: when, who and why. */
export interface Recorded {
  /** Position in the log: gapless, starting at 1. */
  readonly seq: number;
  /** Simulated time at which the record was made (see {@link Clock}). */
  readonly tick: number;
  /** Who acted, e.g. `vm:1/proc:4`, `vmm`, `plugin:snapshot-boot`. */
  readonly actor: string;
  /** Seq of the record that led to this one; 0 for a command from outside the simulation. */
  readonly cause: number;
}

/** Why a command was refused: the error's class name and its message. */
export interface Rejection {
  readonly error: string;
  readonly message: string;
}

/** An intent, with its outcome. `type` reads `<plugin>.<verb>`, e.g. `mmu.map`. */
export interface CommandRecord<A = unknown> extends Recorded {
  readonly kind: 'command';
  readonly type: string;
  readonly args: A;
  /** Present only when the command was refused; none of its events were kept. */
  readonly rejection?: Rejection;
}

/** A fact. `type` reads `<plugin>.<noun>.<past-tense verb>`, e.g. `heap.block.allocated`. */
export interface EventRecord<D = unknown> extends Recorded {
  readonly kind: 'event';
  readonly type: string;
  /** Schema version of `data`; old versions are read through upcasters, never rewritten. */
  readonly v: number;
  readonly data: D;
}

/** One entry of the log. */
export type LogRecord = CommandRecord | EventRecord;

/** True for a command that came from outside the simulation rather than from a reactor. */
export function isExternalCommand(record: LogRecord): record is CommandRecord {
  return record.kind === 'command' && record.cause === 0;
}
