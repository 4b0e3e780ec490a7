import type { SharedMemory } from './shared-memory';
import type { Counterexample } from './types';

/** What a step returns: 0, or the check it broke. */
export const NO_VIOLATION = 0;
export const TORN_TABLE_CODE = 1;
export const WRONG_RESULT = 2;
export const CLOSED_HANDLE_RESOLVED = 3;
export const BLOCKED = 4;

export const VIOLATION_KINDS: readonly Counterexample['kind'][] = [
  'torn-table-code', // unused slot 0 keeps the codes equal to the indices
  'torn-table-code',
  'wrong-result',
  'closed-handle-resolved',
  'blocked',
];

/** Registers every thread has, at the start of its block of {@link Model.registers}. */
export const PC = 0;
/** The thread's own steps so far: what the never-blocks bound counts. */
export const OWN_STEPS = 1;

/**
 * Filled in by a step when the explorer replays a schedule to print it: the search itself passes
 * no trace, so it builds no strings.
 */
export interface StepTrace {
  /** What the step did, e.g. `write mid 0x3000[0] ← 0x1000`. */
  label: string;
  /** Set when the step breaks a check: one sentence. */
  message: string;
  /** Set when the step ends a resolve: what it returned and whether that was right. */
  outcome: string;
}

/**
 * Threads as step machines over a shared memory, as the explorer needs them. A step is one
 * atomic load or store (plus local decisions folded into it); it changes at most one word of
 * memory (through {@link SharedMemory.store}, so that it can be undone) and only its own
 * thread's block of registers. Everything else about the state is in those two arrays, which
 * is what lets the explorer branch by undoing one step instead of copying the state.
 */
export interface Model {
  readonly threads: readonly string[];
  readonly memory: SharedMemory;
  /** `threads.length × stride` words; thread t's block starts at t × stride. */
  readonly registers: Int32Array;
  readonly stride: number;
  /** Per thread: the most steps it may take (a wait-free thread must finish within it). */
  readonly stepBound: Int32Array;
  /** Per thread: whether it must finish on its own from any state (the resolvers). */
  readonly waitFree: readonly boolean[];
  /** Back to the initial state. */
  reset(): void;
  done(thread: number): boolean;
  /** Not done and able to take a step now (false: it would wait on another thread). */
  enabled(thread: number): boolean;
  /** One atomic step of `thread`, the `time`-th step of the schedule (from 0). */
  step(thread: number, time: number, trace?: StepTrace): number;
}
