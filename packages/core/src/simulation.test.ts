import type { EventRecord, LogRecord } from './record';
import { Simulation } from './simulation';
import { MemoryStore } from './memory-store';
import { StoreError } from './store';
import { Balances, ledgerPlugin } from './test-support/ledger-plugin';

function setup(options: { rollbackWindow?: number; store?: MemoryStore } = {}) {
  const sim = new Simulation({ plugins: [ledgerPlugin()], seed: 9, ...options });
  const published: LogRecord[] = [];
  sim.records$.subscribe((record) => published.push(record));
  return { sim, published, balances: sim.get(Balances) };
}

const post = (...postings: [string, number][]) => ({
  postings: postings.map(([account, amount]) => ({ account, amount })),
});

describe('Simulation', () => {
  describe('atomic commands', () => {
    it('leaves state, bus and store untouched but for the rejection when a handler throws after emitting three events', () => {
      const { sim, published, balances } = setup();
      sim.dispatch('ledger.post', post(['a', 10]));
      const digestBefore = sim.digest();
      const recordsBefore = [...sim.store.read(1)];
      published.length = 0;

      const result = sim.dispatch('ledger.post', {
        ...post(['a', 1], ['b', 2], ['c', 3]),
        thenThrow: true,
      });

      expect(result).toEqual({
        seq: 3,
        ok: false,
        events: [],
        rejection: { error: 'Error', message: 'handler failed after emitting' },
      });
      expect(sim.digest()).toBe(digestBefore);
      expect([...balances.values]).toEqual([['a', 10]]);
      const rejection = {
        seq: 3,
        tick: 2,
        actor: 'user',
        cause: 0,
        kind: 'command',
        type: 'ledger.post',
        args: { ...post(['a', 1], ['b', 2], ['c', 3]), thenThrow: true },
        rejection: { error: 'Error', message: 'handler failed after emitting' },
      };
      expect([...sim.store.read(1)]).toEqual([...recordsBefore, rejection]);
      expect(published).toEqual([rejection]);
    });

    it('rolls back the events already applied when a projection throws half-way', () => {
      const { sim, balances } = setup();
      sim.dispatch('ledger.post', post(['a', 10]));
      const digestBefore = sim.digest();
      const result = sim.dispatch('ledger.post', post(['a', 5], ['poison', 1]));
      expect(result.rejection).toEqual({ error: 'Error', message: 'poisoned posting' });
      expect(balances.values.get('a')).toBe(10);
      expect(sim.digest()).toBe(digestBefore);
      // The next command takes the very next seq: the log has no gap.
      expect(sim.dispatch('ledger.post', post(['a', 1])).seq).toBe(4);
    });

    it('rolls back across a checkpoint boundary, re-applying the events since the checkpoint', () => {
      const { sim, balances } = setup({ rollbackWindow: 3 });
      for (let i = 1; i <= 7; i++) sim.dispatch('ledger.post', post(['a', i]));
      const digestBefore = sim.digest();
      sim.dispatch('ledger.post', { ...post(['a', 100], ['b', 1]), thenThrow: true });
      expect(balances.values.get('a')).toBe(28);
      expect(balances.values.has('b')).toBe(false);
      expect(sim.digest()).toBe(digestBefore);
    });

    it('restores the RNG, so a refused command draws nothing', () => {
      const refused = setup().sim;
      refused.dispatch('ledger.post', { ...post(['a', 1]), draws: 5, thenThrow: true });
      refused.dispatch('ledger.post', { postings: [], draws: 1 });
      const clean = setup().sim;
      clean.dispatch('ledger.post', { postings: [], draws: 1 });
      expect(refused.get(Balances)).toBeDefined();
      // Both runs drew exactly one number; equal RNG states show the refused draws were undone.
      const state = (sim: Simulation) =>
        (sim as unknown as { rng: { state(): unknown } }).rng.state();
      expect(state(refused)).toEqual(state(clean));
    });

    it('takes the events back out of the state when the store refuses the batch', () => {
      const store = new MemoryStore();
      const { sim, balances } = setup({ store });
      sim.dispatch('ledger.post', post(['a', 1]));
      const digestBefore = sim.digest();
      store.close();
      expect(() => sim.dispatch('ledger.post', post(['a', 1]))).toThrow(StoreError);
      expect(balances.values.get('a')).toBe(1);
      expect(sim.digest()).toBe(digestBefore);
      expect(sim.seq).toBe(2);
      expect(sim.tick).toBe(1);
    });

    it('refuses an unknown command and an undeclared event type, naming them', () => {
      const { sim } = setup();
      expect(sim.dispatch('ledger.nonsense', {}).rejection).toEqual({
        error: 'UnknownCommandError',
        message:
          'No plugin in this set handles command "ledger.nonsense" (known: ledger.post, ledger.transfer, ledger.undeclared)',
      });
      expect(sim.dispatch('ledger.undeclared', post()).rejection).toEqual({
        error: 'UnknownEventTypeError',
        message: 'Event type "ledger.nothing.happened" is not declared by any plugin in this set',
      });
    });
  });

  describe('reactors', () => {
    it('run after the command, in the same tick, caused by the event', () => {
      const { sim } = setup();
      sim.dispatch('ledger.post', post(['source', 1], ['source', 2]));
      const records = [...sim.store.read(1)];
      expect(records.map((r) => [r.seq, r.type, r.actor, r.cause, r.tick])).toEqual([
        [1, 'ledger.post', 'user', 0, 1],
        [2, 'ledger.account.posted', 'user', 1, 1],
        [3, 'ledger.account.posted', 'user', 1, 1],
        [4, 'ledger.post', 'plugin:ledger', 2, 1],
        [5, 'ledger.account.posted', 'plugin:ledger', 4, 1],
        [6, 'ledger.post', 'plugin:ledger', 3, 1],
        [7, 'ledger.account.posted', 'plugin:ledger', 6, 1],
      ]);
      expect(sim.get(Balances).values.get('echo')).toBe(2);
    });

    it('record a failure as core.reaction.failed and drop what the reactor issued', () => {
      const { sim } = setup();
      sim.dispatch('ledger.post', post(['boom', 1]));
      const records = [...sim.store.read(1)];
      expect(records[2]).toEqual({
        seq: 3,
        tick: 1,
        actor: 'plugin:ledger',
        cause: 2,
        kind: 'event',
        type: 'core.reaction.failed',
        v: 1,
        data: { reactor: 'plugin:ledger', error: 'Error', message: 'reactor failed' },
      });
      expect(records).toHaveLength(3);
      expect(sim.get(Balances).values.has('never')).toBe(false);
    });
  });

  describe('sub-commands', () => {
    it("are recorded in the caller's batch, acted by the calling plugin, caused by the caller", () => {
      const { sim, published } = setup();
      const result = sim.dispatch('ledger.transfer', { from: 'a', to: 'b', amount: 5 });
      const records = [...sim.store.read(1)];
      expect(records.map((r) => [r.seq, r.kind, r.type, r.actor, r.cause, r.tick])).toEqual([
        [1, 'command', 'ledger.transfer', 'user', 0, 1],
        [2, 'command', 'ledger.post', 'plugin:ledger', 1, 1],
        [3, 'event', 'ledger.account.posted', 'plugin:ledger', 2, 1],
        [4, 'event', 'ledger.account.posted', 'user', 1, 1],
        [5, 'command', 'ledger.post', 'plugin:ledger', 1, 1],
        [6, 'event', 'ledger.account.posted', 'plugin:ledger', 5, 1],
      ]);
      expect(published).toEqual(records);
      expect(result.value).toBe('moved');
      expect(result.events.map((e) => e.seq)).toEqual([3, 4, 6]);
      expect([...sim.get(Balances).values]).toEqual([
        ['a', -5],
        ['transfers', 1],
        ['b', 5],
      ]);
    });

    it('refuse their caller when refused, even if the caller catches the error', () => {
      for (const swallow of [false, true]) {
        const { sim, balances } = setup();
        const result = sim.dispatch('ledger.transfer', {
          from: 'a',
          to: 'poison',
          amount: 5,
          swallow,
        });
        expect(result).toMatchObject({
          seq: 1,
          ok: false,
          rejection: { error: 'Error', message: 'poisoned posting' },
        });
        expect([...sim.store.read(1)].map((r) => [r.seq, r.type])).toEqual([
          [1, 'ledger.transfer'],
        ]);
        expect(balances.values.size).toBe(0);
        expect(sim.dispatch('ledger.post', post(['c', 1])).seq).toBe(2);
      }
    });

    it('trigger reactors with their events, after the whole command', () => {
      const { sim } = setup();
      sim.dispatch('ledger.transfer', { from: 'a', to: 'source', amount: 1 });
      const records = [...sim.store.read(7)];
      expect(records.map((r) => [r.seq, r.type, r.actor, r.cause])).toEqual([
        [7, 'ledger.post', 'plugin:ledger', 6],
        [8, 'ledger.account.posted', 'plugin:ledger', 7],
      ]);
    });
  });

  describe('guards', () => {
    it('refuses a dispatch from inside a bus observer, pointing at reactors', () => {
      const { sim } = setup();
      const errors: unknown[] = [];
      sim.bus.subscriberErrors$.subscribe(({ error }) => errors.push(error));
      sim.bus
        .ofType('ledger.account.posted')
        .subscribe(() => sim.dispatch('ledger.post', post(['x', 1])));
      sim.dispatch('ledger.post', post(['a', 1]));
      expect(String(errors[0])).toMatch(
        /Cannot dispatch "ledger.post" while another command is executing: .*Reactor/,
      );
      expect(sim.seq).toBe(2);
    });

    it('refuses to run after close', () => {
      const { sim } = setup();
      sim.close();
      expect(() => sim.dispatch('ledger.post', post())).toThrow('The simulation is closed');
    });
  });

  describe('digests', () => {
    it('records a state digest every interval and one at close', () => {
      const sim = new Simulation({ plugins: [ledgerPlugin()], digestInterval: 4 });
      for (let i = 0; i < 5; i++) sim.dispatch('ledger.post', post(['a', 1]));
      sim.dispatch('ledger.post', post());
      sim.close();
      expect(sim.store.digests().map((d) => d.seq)).toEqual([4, 8, 11]);
      expect(sim.store.digests().at(-1)!.digest).toBe(sim.digest());
    });

    it('depends only on the state, not on how it was reached', () => {
      const a = setup().sim;
      a.dispatch('ledger.post', post(['x', 1], ['y', 2]));
      const b = setup().sim;
      b.dispatch('ledger.post', post(['y', 2]));
      b.dispatch('ledger.post', post(['x', 1]));
      expect(a.digest()).toBe(b.digest());
      b.dispatch('ledger.post', post(['x', 1]));
      expect(a.digest()).not.toBe(b.digest());
    });
  });

  it('returns the events a command emitted', () => {
    const { sim } = setup();
    const { events } = sim.dispatch('ledger.post', post(['a', 1]));
    expect(events.map((e: EventRecord) => [e.seq, e.data])).toEqual([
      [2, { account: 'a', amount: 1 }],
    ]);
  });
});
