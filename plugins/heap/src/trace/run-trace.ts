import type {
  CommandResult,
  EventRecord,
  EventType,
  Simulation,
  TypedEvent,
} from '@chronovisor/core';
import { isEvent } from '@chronovisor/core';
import { createPartition, createSpace } from '@chronovisor/mmu';
import { free, load, malloc, realloc } from '../heap-commands';
import {
  blockFreed,
  violationDetected,
  type ViolationDetected,
  type ViolationKind,
} from '../heap-events';
import { HeapQuery } from '../heap-query';
import { injectFaults, type InjectedKind, type InjectedOp, type InjectionSpec } from './inject';
import type { Trace, TraceOp } from './trace-format';

/** An injected fault no check stopped: its command's seq, and the seq of the free that made the pointer stale. */
export interface Escape {
  readonly seq: number;
  readonly freeSeq?: number;
}

/** How each kind of injected fault fared. */
export interface InjectionOutcome {
  readonly injected: number;
  readonly detected: number;
  /** The detections the heap's model expects (`HeapQuery.expectedDetection`), summed over the faults. */
  readonly expected: number;
  readonly escaped: readonly Escape[];
}

/** What running a trace found. */
export interface TraceReport {
  readonly source: string;
  readonly format: Trace['format'];
  readonly policy: string;
  readonly tagBits: number;
  /** Trace operations run (injected ones not counted). */
  readonly ops: number;
  readonly allocs: number;
  readonly frees: number;
  readonly reallocs: number;
  /** The most bytes live at once (as asked for, not as rounded). */
  readonly peakLiveBytes: number;
  /** The most bytes from the heap's base to its break. */
  readonly peakExtent: number;
  /** peakLiveBytes / peakExtent (CS:APP's utilization). */
  readonly utilization: number;
  /**
   * Violations on the trace's own operations: false positives for a clean trace, or the
   * aftermath of an injected fault that escaped (a double free that freed someone else's block).
   */
  readonly violations: Readonly<Partial<Record<ViolationKind, number>>>;
  readonly injected?: Readonly<Record<InjectedKind, InjectionOutcome>>;
  /** Records the run made. */
  readonly records: number;
}

/** The trace's actor in the log; injected faults act as `inject`, so they stand out. */
const TRACE_ACTOR = 'trace';
const INJECT_ACTOR = 'inject';

/** A pointer a free of the trace made stale: its ref, its block's count, and the seq of the free. */
interface Released {
  readonly ref: number;
  readonly ptr: number;
  readonly count: number;
  readonly freeSeq?: number;
}

/**
 * Runs an allocation trace through the heap plugin of `sim` (which must load the MMU and the
 * heap): a partition and a space for it, then every operation as a command, with faults injected
 * if asked. Pure simulation: the caller times it and chooses the store.
 */
export function runTrace(
  sim: Simulation,
  trace: Trace,
  options: {
    inject?: InjectionSpec;
    frames?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): TraceReport {
  const frames = options.frames ?? 262_144;
  const setup = <V>(result: CommandResult<V>, doing: string): V => {
    if (!result.ok)
      throw new Error(`${trace.source}: ${doing} was refused: ${result.rejection!.message}`);
    return result.value!;
  };
  setup(
    sim.dispatch(createPartition, { name: 'trace', frames }, { actor: TRACE_ACTOR }),
    'creating its partition',
  );
  const space = setup(
    sim.dispatch(createSpace, { kind: 'host', partition: 'trace' }, { actor: TRACE_ACTOR }),
    'creating its space',
  );
  const query = sim.get(HeapQuery);
  const ops: readonly (TraceOp | InjectedOp)[] = options.inject
    ? injectFaults(trace, options.inject)
    : trace.ops;

  // Each allocation's pointer lives in a ref of its own (its op's index), and commands name refs,
  // not addresses: so the run re-executes under another policy, whose addresses differ.
  const refs = new Map<number, number>();
  /** By the free's index in the trace. */
  const released = new Map<number, Released>();
  const violations: Partial<Record<ViolationKind, number>> = {};
  const outcome = () => ({ injected: 0, detected: 0, expected: 0, escaped: [] as Escape[] });
  const injected = {
    'use-after-free': outcome(),
    'double-free': outcome(),
    'invalid-free': outcome(),
  };
  const counts = { allocs: 0, frees: 0, reallocs: 0 };
  let traceIndex = 0;

  const injectFault = (op: InjectedOp): void => {
    const fault = injected[op.kind];
    fault.injected++;
    let result: CommandResult;
    let stale: Released | undefined;
    if (op.kind === 'invalid-free') {
      fault.expected++; // an interior pointer never matches a block start's info
      result = sim.dispatch(
        free,
        { space, ref: refs.get(op.id)!, offset: op.offset },
        { actor: INJECT_ACTOR },
      );
    } else {
      stale = released.get(op.freeIndex)!;
      const twice = op.kind === 'double-free';
      fault.expected += query.expectedDetection(space, stale, twice ? 'free' : 'access');
      result = twice
        ? sim.dispatch(free, { space, ref: stale.ref }, { actor: INJECT_ACTOR })
        : sim.dispatch(load, { space, ref: stale.ref, length: 1 }, { actor: INJECT_ACTOR });
    }
    if (!result.ok)
      throw new Error(
        `${trace.source}: an injected ${op.kind} was refused: ${result.rejection!.message}`,
      );
    if (violationIn(result.events)) fault.detected++;
    else
      fault.escaped.push({
        seq: result.seq,
        ...(stale?.freeSeq === undefined ? {} : { freeSeq: stale.freeSeq }),
      });
  };

  const runOp = (op: TraceOp): void => {
    const index = traceIndex++;
    let result: CommandResult;
    if (op.op === 'alloc') {
      counts.allocs++;
      refs.set(op.id, index);
      result = sim.dispatch(malloc, { space, size: op.size, ref: index }, { actor: TRACE_ACTOR });
    } else if (op.op === 'free') {
      counts.frees++;
      const ref = refs.get(op.id)!;
      result = sim.dispatch(free, { space, ref }, { actor: TRACE_ACTOR });
      // No freed event only after an injected fault escaped and freed this block already.
      const freed = eventIn(result.events, blockFreed);
      released.set(index, {
        ref,
        ptr: freed?.data.ptr ?? 0,
        count: freed?.data.count ?? 0,
        ...(freed ? { freeSeq: freed.seq } : {}),
      });
    } else {
      counts.reallocs++;
      result = sim.dispatch(
        realloc,
        { space, ref: refs.get(op.id)!, size: op.size },
        { actor: TRACE_ACTOR },
      );
    }
    if (!result.ok)
      throw new Error(
        `${trace.source}:${op.line}: ${op.op} was refused: ${result.rejection!.message}`,
      );
    const violation = violationIn(result.events);
    if (violation) violations[violation.kind] = (violations[violation.kind] ?? 0) + 1;
  };

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op === 'inject') injectFault(op);
    else runOp(op);
    if (options.onProgress && (i & 1023) === 0) options.onProgress(i, ops.length);
  }

  const heap = query.heap(space);
  const peakLiveBytes = heap?.peakLiveBytes ?? 0;
  const peakExtent = heap?.extent ?? 0;
  return {
    source: trace.source,
    format: trace.format,
    policy: heap?.policy ?? 'none',
    tagBits: heap?.tagBits ?? 0,
    ops: trace.ops.length,
    ...counts,
    peakLiveBytes,
    peakExtent,
    utilization: peakExtent === 0 ? 1 : peakLiveBytes / peakExtent,
    violations,
    ...(options.inject ? { injected } : {}),
    records: sim.seq,
  };
}

function violationIn(events: readonly EventRecord[]): ViolationDetected | undefined {
  return eventIn(events, violationDetected)?.data;
}

/** The first of `events` of type `type`, typed by its declaration. */
function eventIn<E extends EventType>(
  events: readonly EventRecord[],
  type: E,
): TypedEvent<E> | undefined {
  return events.find((event): event is TypedEvent<E> => isEvent(event, type));
}
