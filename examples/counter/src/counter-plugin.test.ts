import { Simulation, ofType, type EventRecord } from '@chronovisor/core';
import counterPluginDefault, {
  CounterState,
  counterPlugin,
  increment,
  incremented,
  reset,
  wasReset,
} from './index';

function simulation(options: Parameters<typeof counterPlugin>[0] = {}) {
  return new Simulation({ plugins: [counterPlugin(options)], seed: 1 });
}

describe('the counter plugin', () => {
  it('runs as docs/writing-a-plugin.md shows', () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    // --- run it
    const simulation = new Simulation({ plugins: [counterPlugin({ wrapAt: 20 })], seed: 42 });
    simulation.bus.ofType(wasReset).subscribe(({ data }) => log(`${data.name} wrapped`));
    const result = simulation.dispatch(increment, { name: 'requests', by: 20 }, { actor: 'vm:1' });
    log(`${result.ok} ${simulation.get(CounterState).value('requests')} ${simulation.seq}`);
    simulation.close();
    // ---
    expect(lines).toEqual(['requests wrapped', 'true 0 3']);
  });

  it('records the command, then its event, and updates the counter', () => {
    const sim = simulation();
    const result = sim.dispatch('counter.increment', { name: 'a', by: 5 }, { actor: 'alice' });
    expect(result.ok).toBe(true);
    expect([...sim.store.read(1)]).toEqual([
      {
        seq: 1,
        tick: 1,
        actor: 'alice',
        cause: 0,
        kind: 'command',
        type: 'counter.increment',
        args: { name: 'a', by: 5 },
      },
      {
        seq: 2,
        tick: 1,
        actor: 'alice',
        cause: 1,
        kind: 'event',
        type: 'counter.value.incremented',
        v: 2,
        data: { name: 'a', by: 5, value: 5 },
      },
    ]);
    expect(sim.get(CounterState).value('a')).toBe(5);
  });

  it('refuses bad arguments with the field named, and records the refusal', () => {
    const sim = simulation();
    const result = sim.dispatch('counter.increment', { name: 'a', by: 'two' });
    expect(result.ok).toBe(false);
    expect(result.rejection).toEqual({
      error: 'ValidationError',
      message:
        'Invalid command counter.increment: args.by = "two": Invalid input: expected number, received string',
    });
    expect(sim.seq).toBe(1);
  });

  it('refuses to reset a counter that does not exist', () => {
    const result = simulation().dispatch('counter.reset', { name: 'ghost' });
    expect(result.rejection).toEqual({
      error: 'CounterError',
      message: 'Counter "ghost" does not exist',
    });
  });

  it('wraps a counter through its reactor, caused by the event that reached the limit', () => {
    const sim = simulation({ wrapAt: 10 });
    sim.dispatch('counter.increment', { name: 'odo', by: 7 });
    sim.dispatch('counter.increment', { name: 'odo', by: 3 });
    const records = [...sim.store.read(3)];
    // The reactor's command is re-derived on re-execution, so only its event is recorded.
    expect(records.map((r) => [r.seq, r.kind, r.type, r.actor, r.cause])).toEqual([
      [3, 'command', 'counter.increment', 'user', 0],
      [4, 'event', 'counter.value.incremented', 'user', 3],
      [5, 'event', 'counter.value.reset', 'plugin:counter', 4],
    ]);
    expect(records.every((r) => r.tick === 2)).toBe(true);
    expect(sim.get(CounterState).value('odo')).toBe(0);
  });

  it('publishes typed events on the bus in log order', () => {
    const sim = simulation();
    const seen: number[] = [];
    sim.bus.ofType(incremented).subscribe((event) => seen.push(event.data.value));
    const all: EventRecord[] = [];
    sim.records$.pipe(ofType(incremented, wasReset)).subscribe((e) => all.push(e));
    sim.dispatch(increment, { name: 'a' });
    sim.dispatch(increment, { name: 'a', by: 2 });
    sim.dispatch(reset, { name: 'a' });
    expect(seen).toEqual([1, 3]);
    expect(all.map((e) => e.seq)).toEqual([2, 4, 6]);
  });

  it('reads a version-1 event through its upcaster', () => {
    const sim = simulation();
    const old: EventRecord = {
      seq: 2,
      tick: 1,
      actor: 'user',
      cause: 1,
      kind: 'event',
      type: 'counter.value.incremented',
      v: 1,
      data: { name: 'a', amount: 4, value: 4 },
    };
    expect(sim.eventTypes.upcast(old).data).toEqual({ name: 'a', by: 4, value: 4 });
  });

  it('rejects bad plugin options, naming the field', () => {
    expect(() => counterPlugin({ wrapAt: -1 })).toThrow(
      'Invalid options of plugin "@chronovisor/example-counter": options.wrapAt = -1: Too small: expected number to be >0',
    );
  });

  it('is the package default export, the factory the CLI loads', () => {
    expect(counterPluginDefault).toBe(counterPlugin);
    expect(counterPlugin().manifest).toEqual({
      name: '@chronovisor/example-counter',
      version: '1.0.0',
      description:
        'A complete small Chronovisor plugin (named counters), walked through in docs/writing-a-plugin.md.',
      prefix: 'counter',
    });
  });
});
