import { canStep } from './explore';
import type { Finding } from './explore';
import { BLOCKED, OWN_STEPS, TORN_TABLE_CODE, VIOLATION_KINDS } from './model';
import type { Model, StepTrace } from './model';
import type { Counterexample, ScheduledStep } from './types';

/**
 * Replays a finding's schedule with a trace, to put it into words: the search itself runs
 * without one, so that it builds no strings.
 */
export function buildCounterexample(model: Model, finding: Finding): Counterexample {
  model.reset();
  const trace: StepTrace = { label: '', message: '', outcome: '' };
  const schedule: ScheduledStep[] = [];
  let current = -1;
  let time = 0;
  for (const t of finding.path) {
    const preempts = current >= 0 && t !== current && canStep(model, current);
    trace.label = trace.message = trace.outcome = '';
    model.step(t, time++, trace);
    const thread = model.threads[t]!;
    schedule.push(
      preempts ? { thread, step: trace.label, preemption: true } : { thread, step: trace.label },
    );
    current = t;
  }
  const thread = model.threads[finding.thread]!;
  let message = trace.message;
  if (finding.kind === BLOCKED) {
    const own = model.registers[finding.thread * model.stride + OWN_STEPS]!;
    message = finding.waited
      ? `${thread} cannot finish on its own: with every other thread paused it waits on another thread after ${own} of its own steps`
      : `${thread} cannot finish on its own: with every other thread paused it has taken its bound of ${own} steps without finishing`;
  } else if (finding.kind === TORN_TABLE_CODE) {
    message += `; carried on alone, ${thread} ${consequence(model, finding.thread, time, trace)}`;
  }
  return {
    kind: VIOLATION_KINDS[finding.kind]!,
    thread,
    message,
    preemptions: finding.preemptions,
    schedule,
  };
}

/** What a resolver that read a torn code goes on to return, the others paused. */
function consequence(model: Model, t: number, time: number, trace: StepTrace): string {
  while (trace.outcome === '' && canStep(model, t)) {
    trace.label = trace.message = '';
    model.step(t, time++, trace);
  }
  return trace.outcome || 'never finishes';
}

/**
 * A counterexample as numbered lines, one per step, each preemption marked with the thread it
 * preempted, then the violation.
 */
export function formatCounterexample(c: Counterexample): string {
  const width = Math.max(...c.schedule.map((s) => s.thread.length));
  const digits = String(c.schedule.length).length;
  const lines = c.schedule.map((s, i) => {
    const mark = s.preemption ? `   [preempts ${c.schedule[i - 1]!.thread}]` : '';
    return `${String(i + 1).padStart(digits)}. ${s.thread.padEnd(width)}  ${s.step}${mark}`;
  });
  const preemptions = `${c.preemptions} preemption${c.preemptions === 1 ? '' : 's'}`;
  return [
    `${c.kind} in ${c.thread}, after ${c.schedule.length} steps with ${preemptions}:`,
    ...lines,
    `violation: ${c.message}`,
  ].join('\n');
}
