import { of, type OperatorFunction } from 'rxjs';
import { map } from 'rxjs/operators';
import { moduleFunction, moduleMicros, type ModuleSpec, type Verdict } from './modules';

/** One module's step on an item, as the pipeline records it. */
export interface ModuleStep {
  readonly module: number;
  readonly kind: string;
  readonly verdict: Verdict;
  readonly micros: number;
  readonly reason?: string;
}

/** An item going through a chain: its bytes now, the steps so far, and how it ended (if it has). */
export interface Flow {
  readonly data: Uint8Array;
  readonly steps: readonly ModuleStep[];
  readonly micros: number;
  readonly ended?: { readonly verdict: Exclude<Verdict, 'forward'>; readonly module: number };
  readonly failure?: {
    readonly module: number;
    readonly kind: string;
    readonly failure: 'timeout' | 'crash';
    readonly message: string;
  };
}

/**
 * One module as an RxJS operator: an item still flowing is worked on; one that ended (returned,
 * consumed, dropped) or failed passes untouched. A module that throws has crashed; one that would
 * take longer than `timeoutMicros` has timed out (the guest's watchdog, before it answers).
 */
function moduleOperator(
  spec: ModuleSpec,
  index: number,
  timeoutMicros: number,
): OperatorFunction<Flow, Flow> {
  const work = moduleFunction(spec);
  return map((flow) => {
    if (flow.ended || flow.failure) return flow;
    const micros = moduleMicros(spec, flow.data.length);
    if (micros > timeoutMicros)
      return {
        ...flow,
        micros: flow.micros + timeoutMicros,
        failure: {
          module: index,
          kind: spec.kind,
          failure: 'timeout',
          message: `took ${micros.toFixed(1)} µs of ${timeoutMicros} µs allowed`,
        },
      };
    let result;
    try {
      result = work(flow.data);
    } catch (error) {
      return {
        ...flow,
        micros: flow.micros + micros,
        failure: {
          module: index,
          kind: spec.kind,
          failure: 'crash',
          message: (error as Error).message,
        },
      };
    }
    const step: ModuleStep = {
      module: index,
      kind: spec.kind,
      verdict: result.verdict,
      micros,
      ...(result.reason === undefined ? {} : { reason: result.reason }),
    };
    const next = {
      ...flow,
      data: result.data,
      steps: [...flow.steps, step],
      micros: flow.micros + micros,
    };
    return result.verdict === 'forward'
      ? next
      : { ...next, ended: { verdict: result.verdict, module: index } };
  });
}

/** A chain of modules as one RxJS pipeline of operators, in order. */
export function chainPipeline(
  specs: readonly ModuleSpec[],
  timeoutMicros: number,
): OperatorFunction<Flow, Flow> {
  const operators = specs.map((spec, i) => moduleOperator(spec, i, timeoutMicros));
  return (source) => operators.reduce((flow, operator) => flow.pipe(operator), source);
}

/**
 * Runs an item through a pipeline. Synchronous: the operators are pure and `of` emits at once,
 * so the kernel's determinism holds.
 */
export function runPipeline(pipeline: OperatorFunction<Flow, Flow>, data: Uint8Array): Flow {
  let out: Flow | undefined;
  of<Flow>({ data, steps: [], micros: 0 })
    .pipe(pipeline)
    .subscribe((flow) => (out = flow));
  return out!;
}
