import { Simulation, type LogRecord } from '@chronovisor/core';
import { CounterState } from './counter-state';
import { counterPlugin } from './counter-plugin';

/** One line per record: seq, tick, actor, kind, type, payload, cause and outcome. */
export function describeRecord(record: LogRecord): string {
  const head = `${String(record.seq).padStart(3)}  t${record.tick}  ${record.actor.padEnd(14)} ${record.kind.padEnd(7)}`;
  if (record.kind === 'event')
    return `${head} ${record.type} ${JSON.stringify(record.data)}  (cause ${record.cause})`;
  const outcome = record.rejection ? `  REFUSED: ${record.rejection.message}` : '';
  const cause = record.cause === 0 ? '' : `  (cause ${record.cause})`;
  return `${head} ${record.type} ${JSON.stringify(record.args)}${cause}${outcome}`;
}

/**
 * The core demo behind `npm start` (until the `chronovisor` command lands): a small run of the
 * counter plugin, printing every record as it is made, then the counters and the state digest.
 */
export function runCounterDemo(print: (line: string) => void): Simulation {
  const simulation = new Simulation({ plugins: [counterPlugin({ wrapAt: 20 })], seed: 42 });
  simulation.records$.subscribe((record) => print(describeRecord(record)));

  print('Chronovisor core demo: the counter plugin, seed 42, counters wrap at 20\n');
  simulation.dispatch('counter.increment', { name: 'requests', by: 5 }, { actor: 'vm:1/proc:4' });
  simulation.dispatch('counter.roll', { name: 'dice', sides: 6 }, { actor: 'vm:1/proc:7' });
  simulation.dispatch('counter.roll', { name: 'dice', sides: 6 }, { actor: 'vm:1/proc:7' });
  simulation.dispatch('counter.increment', { name: 'requests', by: 15 }, { actor: 'vm:1/proc:4' });
  simulation.dispatch('counter.reset', { name: 'never-created' }, { actor: 'vm:2/proc:1' });
  simulation.close();

  const counters = simulation.get(CounterState);
  print(`\n${simulation.seq} records in ${simulation.tick} ticks`);
  print(`counters: ${JSON.stringify(Object.fromEntries(counters.all()))}`);
  print(`state digest: ${simulation.digest()}`);
  print(
    '\nSame seed, same commands: the same records and digest, every run. See docs/writing-a-plugin.md.',
  );
  return simulation;
}
