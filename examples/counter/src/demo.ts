import { Simulation, type LogRecord } from '@chronovisor/core';
import { increment, reset, roll } from './counter-contract';
import { counterPlugin } from './counter-plugin';
import { CounterState } from './counter-state';

/** One line per record: seq, tick, actor, kind, type, payload, cause and outcome. */
export function describeRecord(record: LogRecord): string {
  const head = `${String(record.seq).padStart(3)}  t${record.tick}  ${record.actor.padEnd(14)} ${record.kind.padEnd(7)}`;
  const payload = JSON.stringify(record.kind === 'event' ? record.data : record.args);
  const cause = record.cause === 0 ? '' : `  (cause ${record.cause})`;
  const refused = record.kind === 'command' && record.rejection;
  return `${head} ${record.type} ${payload}${cause}${refused ? `  REFUSED: ${refused.message}` : ''}`;
}

/** A small run of the counter plugin: every record as it is made, then the counters and digest. */
export function runCounterDemo(print: (line: string) => void): Simulation {
  const simulation = new Simulation({ plugins: [counterPlugin({ wrapAt: 20 })], seed: 42 });
  simulation.records$.subscribe((record) => print(describeRecord(record)));
  print('Chronovisor core demo: the counter plugin, seed 42, counters wrap at 20\n');
  simulation.dispatch(increment, { name: 'requests', by: 5 }, { actor: 'vm:1/proc:4' });
  simulation.dispatch(roll, { name: 'dice', sides: 6 }, { actor: 'vm:1/proc:7' });
  simulation.dispatch(roll, { name: 'dice', sides: 6 }, { actor: 'vm:1/proc:7' });
  simulation.dispatch(increment, { name: 'requests', by: 15 }, { actor: 'vm:1/proc:4' });
  simulation.dispatch(reset, { name: 'never-created' }, { actor: 'vm:2/proc:1' });
  simulation.close();
  const counters = Object.fromEntries(simulation.get(CounterState).all());
  print(`\n${simulation.seq} records in ${simulation.tick} ticks`);
  print(`counters: ${JSON.stringify(counters)}\nstate digest: ${simulation.digest()}`);
  print('\nSame seed, same commands: the same records and digest, every run.');
  return simulation;
}

if (require.main === module) runCounterDemo((line) => console.log(line));
