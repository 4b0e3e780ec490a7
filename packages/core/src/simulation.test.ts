import { inject } from 'inversify';
import { z } from 'zod';
import {
  handle,
  react,
  type CommandHandlers,
  type Reactor,
  type ReactorContext,
} from './contributions';
import { defineCommand, defineEvent, returns } from './declarations';
import { EventBus } from './event-bus';
import { definePlugin } from './plugin';
import type { EventRecord, LogRecord } from './record';
import { Simulation } from './simulation';
import { MemoryStore } from './memory-store';
import { Store, StoreError } from './store';
import { Balances, ledgerPlugin, post, posted, transfer } from './test-support/ledger-plugin';

function setup(options: { rollbackWindow?: number; store?: MemoryStore } = {}) {
  const sim = new Simulation({
    plugins: [ledgerPlugin()],
    seed: 9,
    ...(options.rollbackWindow === undefined ? {} : { rollbackWindow: options.rollbackWindow }),
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  const published: LogRecord[] = [];
  sim.records$.subscribe((record) => published.push(record));
  return { sim, published, balances: sim.get(Balances) };
}

const postings = (...entries: [string, number][]) => ({
  postings: entries.map(([account, amount]) => ({ account, amount })),
});

/** The log as plain data, to compare before and after someone tries to change it. */
const logOf = (sim: Simulation): unknown =>
  JSON.parse(JSON.stringify([...sim.store.read(1)])) as unknown;

const brief = (records: Iterable<LogRecord>) =>
  [...records].map((r) => [r.seq, r.kind, r.type, r.actor, r.cause, r.tick]);

describe('Simulation', () => {
  describe('atomic commands', () => {
    it('leaves state, bus and store untouched but for the rejection when a handler throws after emitting three events', () => {
      const { sim, published, balances } = setup();
      sim.dispatch(post, postings(['a', 10]));
      const digestBefore = sim.digest();
      const recordsBefore = [...sim.store.read(1)];
      published.length = 0;

      const result = sim.dispatch(post, {
        ...postings(['a', 1], ['b', 2], ['c', 3]),
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
        args: { ...postings(['a', 1], ['b', 2], ['c', 3]), thenThrow: true },
        rejection: { error: 'Error', message: 'handler failed after emitting' },
      };
      expect([...sim.store.read(1)]).toEqual([...recordsBefore, rejection]);
      expect(published).toEqual([rejection]);
      expect(sim.seq).toBe(3);
    });

    it('rolls back the events already applied when a projection throws half-way', () => {
      const { sim, balances, published } = setup();
      sim.dispatch(post, postings(['a', 10]));
      const digestBefore = sim.digest();
      published.length = 0;
      const result = sim.dispatch(post, postings(['a', 5], ['poison', 1]));
      expect(result.rejection).toEqual({ error: 'Error', message: 'poisoned posting' });
      expect(balances.values.get('a')).toBe(10);
      expect(sim.digest()).toBe(digestBefore);
      expect(published.map((r) => [r.seq, r.kind])).toEqual([[3, 'command']]);
      // The next command takes the very next seq: the log has no gap.
      expect(sim.dispatch(post, postings(['a', 1])).seq).toBe(4);
      expect([...sim.store.read(1)].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    });

    it('rolls back across a checkpoint boundary, re-applying the events since the checkpoint', () => {
      const { sim, balances } = setup({ rollbackWindow: 3 });
      for (let i = 1; i <= 7; i++) sim.dispatch(post, postings(['a', i]));
      const digestBefore = sim.digest();
      const result = sim.dispatch(post, { ...postings(['a', 100], ['b', 1]), thenThrow: true });
      expect(result.ok).toBe(false);
      expect(balances.values.get('a')).toBe(28);
      expect(balances.values.has('b')).toBe(false);
      expect(sim.digest()).toBe(digestBefore);
      // And the state keeps folding correctly from there.
      sim.dispatch(post, postings(['a', 2], ['b', 3]));
      expect([...balances.values]).toEqual([
        ['a', 30],
        ['b', 3],
      ]);
    });

    it('rolls back with the adaptive window, past many checkpoints, as with a fixed one', () => {
      const runs = [setup(), setup({ rollbackWindow: 100_000 })].map(({ sim, balances }) => {
        for (let i = 0; i < 5_000; i++) sim.dispatch(post, postings(['a', 1], [`k${i % 7}`, i]));
        const refused = sim.dispatch(post, { ...postings(['a', 100]), thenThrow: true });
        return { ok: refused.ok, a: balances.values.get('a'), digest: sim.digest() };
      });
      expect(runs[0]).toEqual({ ok: false, a: 5_000, digest: runs[1]!.digest });
      expect(runs[1]!.ok).toBe(false);
    });

    it('restores the RNG, so a refused command draws nothing', () => {
      const refused = setup().sim;
      refused.dispatch(post, { ...postings(['a', 1]), draws: 5, thenThrow: true });
      refused.dispatch(post, { postings: [], draws: 1 });
      const clean = setup().sim;
      clean.dispatch(post, { postings: [], draws: 1 });
      // Both runs drew exactly one number; equal RNG states show the refused draws were undone.
      const state = (sim: Simulation) =>
        (sim as unknown as { rng: { state(): unknown } }).rng.state();
      expect(state(refused)).toEqual(state(clean));
      const untouched = setup().sim;
      expect(state(untouched)).not.toEqual(state(clean));
    });

    it('takes the events back out of the state when the store refuses the batch', () => {
      const store = new MemoryStore();
      const { sim, balances, published } = setup({ store });
      sim.dispatch(post, postings(['a', 1]));
      const digestBefore = sim.digest();
      published.length = 0;
      store.close();
      expect(() => sim.dispatch(post, postings(['a', 1]))).toThrow(
        new StoreError('The store is closed'),
      );
      expect(balances.values.get('a')).toBe(1);
      expect(sim.digest()).toBe(digestBefore);
      expect(sim.seq).toBe(2);
      expect(sim.tick).toBe(1);
      expect(published).toEqual([]);
    });

    it('refuses an unknown command, listing the known ones, and an undeclared event type, naming them', () => {
      const { sim } = setup();
      expect(sim.dispatch('ledger.nonsense', {})).toEqual({
        seq: 1,
        ok: false,
        events: [],
        rejection: {
          error: 'UnknownCommandError',
          message:
            'No plugin in this set handles command "ledger.nonsense" (known: ledger.post, ledger.transfer, ledger.undeclared)',
        },
      });
      expect(sim.dispatch('ledger.undeclared', {}).rejection).toEqual({
        error: 'UnknownEventTypeError',
        message: 'Event type "ledger.never.declared" is not declared by any plugin in this set',
      });
      expect([...sim.store.read(1)].map((r) => [r.seq, r.type])).toEqual([
        [1, 'ledger.nonsense'],
        [2, 'ledger.undeclared'],
      ]);
    });

    it('checks outside arguments at the boundary, naming the command, the field and the value', () => {
      const { sim } = setup();
      const result = sim.dispatch('ledger.post', { postings: [{ account: 'a', amount: 'ten' }] });
      expect(result.rejection).toEqual({
        error: 'ValidationError',
        message:
          'Invalid command ledger.post: args.postings.0.amount = "ten": Invalid input: expected number, received string',
      });
      // The rejection keeps the arguments as they came.
      expect([...sim.store.read(1)][0]).toMatchObject({
        args: { postings: [{ account: 'a', amount: 'ten' }] },
      });
      expect(sim.get(Balances).values.size).toBe(0);
    });
  });

  describe('calls', () => {
    it('leave only their events, acted by the calling plugin and caused by the outside command', () => {
      const { sim, published } = setup();
      sim.dispatch(post, postings(['x', 1]));
      const result = sim.dispatch(transfer, { from: 'a', to: 'b', amount: 5 });
      const records = [...sim.store.read(3)];
      expect(brief(records)).toEqual([
        [3, 'command', 'ledger.transfer', 'user', 0, 2],
        [4, 'event', 'ledger.account.posted', 'plugin:ledger', 3, 2],
        [5, 'event', 'ledger.account.posted', 'user', 3, 2],
        [6, 'event', 'ledger.account.posted', 'plugin:ledger', 3, 2],
      ]);
      expect(records.map((r) => (r.kind === 'event' ? r.data : r.args))).toEqual([
        { from: 'a', to: 'b', amount: 5 },
        { account: 'a', amount: -5 },
        { account: 'transfers', amount: 1 },
        { account: 'b', amount: 5 },
      ]);
      expect(published.slice(2)).toEqual(records);
      expect(result.value).toBe('moved');
      expect(result.events).toEqual(records.slice(1));
      expect([...sim.get(Balances).values]).toEqual([
        ['x', 1],
        ['a', -5],
        ['transfers', 1],
        ['b', 5],
      ]);
    });

    it('refuse the whole outside command when refused, even if the handler swallows the error', () => {
      for (const swallow of [false, true]) {
        const { sim, balances, published } = setup();
        const result = sim.dispatch(transfer, { from: 'a', to: 'poison', amount: 5, swallow });
        const rejection = { error: 'Error', message: 'poisoned posting' };
        expect(result).toEqual({ seq: 1, ok: false, events: [], rejection });
        const refused = {
          seq: 1,
          tick: 1,
          actor: 'user',
          cause: 0,
          kind: 'command',
          type: 'ledger.transfer',
          args: { from: 'a', to: 'poison', amount: 5, swallow },
          rejection,
        };
        expect([...sim.store.read(1)]).toEqual([refused]);
        expect(published).toEqual([refused]);
        expect(balances.values.size).toBe(0);
        expect(sim.dispatch(post, postings(['c', 1])).seq).toBe(2);
      }
    });

    it('trigger reactors with their events, after the whole command', () => {
      const { sim } = setup();
      sim.dispatch(transfer, { from: 'a', to: 'source', amount: 1 });
      expect(brief(sim.store.read(1))).toEqual([
        [1, 'command', 'ledger.transfer', 'user', 0, 1],
        [2, 'event', 'ledger.account.posted', 'plugin:ledger', 1, 1],
        [3, 'event', 'ledger.account.posted', 'user', 1, 1],
        [4, 'event', 'ledger.account.posted', 'plugin:ledger', 1, 1],
        [5, 'event', 'ledger.account.posted', 'plugin:ledger', 4, 1],
      ]);
      expect(sim.get(Balances).values.get('echo')).toBe(1);
    });

    it('are acted by the plugin whose handler calls, across plugins and through nested calls', () => {
      const sim = new Simulation({ plugins: [ledgerPlugin(), bankPlugin()] });
      const result = sim.dispatch(pay, { from: 'a', to: 'b' });
      expect(result.ok).toBe(true);
      // bank.pay (user) emits as the user, calls ledger.transfer as plugin:bank, whose own calls
      // to ledger.post act as plugin:ledger. Every event is caused by the outside command.
      expect(
        [...sim.store.read(1)].map((r) => [
          r.seq,
          r.type,
          r.actor,
          r.cause,
          r.kind === 'event' ? r.data : r.args,
        ]),
      ).toEqual([
        [1, 'bank.pay', 'user', 0, { from: 'a', to: 'b' }],
        [2, 'bank.payment.made', 'user', 1, { from: 'a', to: 'b' }],
        [3, 'ledger.account.posted', 'plugin:ledger', 1, { account: 'a', amount: -1 }],
        [4, 'ledger.account.posted', 'plugin:bank', 1, { account: 'transfers', amount: 1 }],
        [5, 'ledger.account.posted', 'plugin:ledger', 1, { account: 'b', amount: 1 }],
      ]);
    });

    it('refuse a cycle of calls, naming the command', () => {
      const sim = new Simulation({ plugins: [ledgerPlugin(), bankPlugin()] });
      expect(sim.dispatch(spin, {})).toEqual({
        seq: 1,
        ok: false,
        events: [],
        rejection: {
          error: 'Error',
          message: 'Calls nest deeper than 16 (at "bank.spin"): a cycle?',
        },
      });
      expect(sim.seq).toBe(1);
    });
  });

  describe('reactors', () => {
    it('may dispatch only while they react: a context kept for later refuses', () => {
      let kept: ReactorContext | undefined;
      class Keeper implements Reactor {
        readonly actor = 'plugin:keeper';
        readonly reactions = [react(posted, (_event, context) => void (kept = context))];
      }
      const keeper = definePlugin({
        package: { name: '@test/keeper', version: '1.0.0' },
        requires: { '@test/ledger': '^1' },
        reactors: [Keeper],
      });
      const sim = new Simulation({ plugins: [ledgerPlugin(), keeper()] });
      sim.dispatch(post, postings(['a', 1]));
      expect(() => kept!.dispatch(post, postings(['b', 1]))).toThrow(
        'A reactor may dispatch "ledger.post" only while it reacts to an event, not later',
      );
      expect(sim.seq).toBe(2);
    });

    it("run after the command, in the same tick, leaving only their commands' events, caused by the triggering event", () => {
      const { sim, published } = setup();
      const result = sim.dispatch(post, postings(['source', 1], ['source', 2]));
      const records = [...sim.store.read(1)];
      expect(brief(records)).toEqual([
        [1, 'command', 'ledger.post', 'user', 0, 1],
        [2, 'event', 'ledger.account.posted', 'user', 1, 1],
        [3, 'event', 'ledger.account.posted', 'user', 1, 1],
        [4, 'event', 'ledger.account.posted', 'plugin:ledger', 2, 1],
        [5, 'event', 'ledger.account.posted', 'plugin:ledger', 3, 1],
      ]);
      expect(published).toEqual(records);
      // The result holds the command's own events, not its reactors'.
      expect(result.events.map((e) => e.seq)).toEqual([2, 3]);
      expect(sim.get(Balances).values.get('echo')).toBe(2);
      expect(sim.tick).toBe(1);
    });

    it('record a reactor that throws as core.reaction.failed and drop what it issued', () => {
      const { sim } = setup();
      sim.dispatch(post, postings(['boom', 1]));
      const records = [...sim.store.read(1)];
      expect(records).toHaveLength(3);
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
      expect(sim.get(Balances).values.has('never')).toBe(false);
    });

    it('record a refused reactor command as core.reaction.failed naming the command, and nothing it emitted', () => {
      const { sim, balances, published } = setup();
      const result = sim.dispatch(post, postings(['refuse', 1]));
      expect(result.ok).toBe(true);
      const failed = {
        seq: 3,
        tick: 1,
        actor: 'plugin:ledger',
        cause: 2,
        kind: 'event',
        type: 'core.reaction.failed',
        v: 1,
        data: {
          reactor: 'plugin:ledger',
          command: 'ledger.post',
          error: 'Error',
          message: 'handler failed after emitting',
        },
      };
      const records = [...sim.store.read(1)];
      expect(brief(records)).toEqual([
        [1, 'command', 'ledger.post', 'user', 0, 1],
        [2, 'event', 'ledger.account.posted', 'user', 1, 1],
        [3, 'event', 'core.reaction.failed', 'plugin:ledger', 2, 1],
      ]);
      expect(records[2]).toEqual(failed);
      expect(published).toEqual(records);
      // The refused command had emitted a posting to `echo`: it was taken back.
      expect([...balances.values]).toEqual([['refuse', 1]]);
      expect(sim.dispatch(post, postings(['a', 1])).seq).toBe(4);
    });
  });

  describe('records are immutable', () => {
    it("a refused command's log keeps a copy of its arguments, and leaves the caller's own alone", () => {
      const sim = new Simulation({ plugins: [ledgerPlugin()] });
      const args = { postings: [{ account: 'a', amount: 'one' }] };
      expect(sim.dispatch('ledger.post', args).ok).toBe(false);
      expect(Object.isFrozen(args)).toBe(false);
      args.postings[0]!.amount = 'two';
      expect([...sim.store.read(1)][0]).toMatchObject({
        args: { postings: [{ account: 'a', amount: 'one' }] },
      });
    });

    it("once emitted: the handler's copy, the result's, and a bus observer's cannot change the log", () => {
      const sim = new Simulation({ plugins: [ledgerPlugin(), bankPlugin()] });
      const observed: LogRecord[] = [];
      sim.records$.subscribe((record) => observed.push(record));
      sim.dispatch(post, postings(['a', 1]));
      const before = logOf(sim);

      // The handler of bank.tamper tries to change what its emit returned, and reports each refusal.
      const tampered = sim.dispatch(tamper, { from: 'a', to: 'b' });
      expect(tampered.value).toEqual([
        "TypeError: Cannot assign to read only property 'seq' of object '#<Object>'",
        "TypeError: Cannot assign to read only property 'to' of object '#<Object>'",
        'TypeError: Cannot add property extra, object is not extensible',
      ]);
      expect(tampered.events.map((e) => e.data)).toEqual([{ from: 'a', to: 'b' }]);
      const afterTamper = logOf(sim);
      expect((afterTamper as unknown[]).slice(0, 2)).toEqual(before);

      // What the result holds.
      const [event] = tampered.events as [EventRecord<{ from: string; to: string }>];
      expect(Object.isFrozen(event)).toBe(true);
      expect(() => {
        (event as { seq: number }).seq = 99;
      }).toThrow("Cannot assign to read only property 'seq' of object '#<Object>'");
      expect(() => {
        (event.data as { to: string }).to = 'mallory';
      }).toThrow("Cannot assign to read only property 'to' of object '#<Object>'");
      // The list itself is the caller's own copy: changing it changes nothing recorded.
      (tampered.events as EventRecord[]).length = 0;

      // What a bus observer received: commands and their arguments too.
      const command = observed[0]!;
      expect(command.kind).toBe('command');
      expect(() => {
        (command as { actor: string }).actor = 'mallory';
      }).toThrow("Cannot assign to read only property 'actor' of object '#<Object>'");
      const args = (command as { args: { postings: { account: string }[] } }).args;
      expect(() => args.postings.push({ account: 'b' })).toThrow(
        'Cannot add property 1, object is not extensible',
      );
      expect(() => {
        args.postings[0]!.account = 'b';
      }).toThrow("Cannot assign to read only property 'account' of object '#<Object>'");
      const observedEvent = observed[1] as EventRecord<{ amount: number }>;
      expect(() => {
        observedEvent.data.amount = 1000;
      }).toThrow("Cannot assign to read only property 'amount' of object '#<Object>'");
      // A refusal too.
      const refused = sim.dispatch(post, { ...postings(['a', 1]), thenThrow: true });
      expect(() => {
        (refused.rejection as { message: string }).message = 'fine';
      }).toThrow("Cannot assign to read only property 'message' of object '#<Object>'");

      expect(logOf(sim)).toEqual([
        ...(afterTamper as unknown[]),
        expect.objectContaining({ seq: 5, rejection: refused.rejection }),
      ]);
      expect(afterTamper).toEqual([
        ...(before as unknown[]),
        {
          seq: 3,
          tick: 2,
          actor: 'user',
          cause: 0,
          kind: 'command',
          type: 'bank.tamper',
          args: { from: 'a', to: 'b' },
        },
        {
          seq: 4,
          tick: 2,
          actor: 'user',
          cause: 3,
          kind: 'event',
          type: 'bank.payment.made',
          v: 1,
          data: { from: 'a', to: 'b' },
        },
      ]);
      expect([...sim.get(Balances).values]).toEqual([['a', 1]]);
    });

    it('freezes records outside production only, and records the same log either way', () => {
      const run = (options: { freezeRecords?: boolean }) => {
        const sim = new Simulation({ plugins: [ledgerPlugin(), bankPlugin()], ...options });
        const paid = sim.dispatch(post, postings(['a', 1], ['b', 2]));
        sim.dispatch(post, { ...postings(['a', 1]), thenThrow: true });
        sim.dispatch('ledger.post', { postings: [{ account: 'a', amount: 'one' }] });
        return { sim, event: paid.events[0]! };
      };
      const frozen = run({ freezeRecords: true });
      const loose = run({ freezeRecords: false });
      expect(Object.isFrozen(frozen.event)).toBe(true);
      expect(Object.isFrozen(frozen.event.data)).toBe(true);
      expect(Object.isFrozen(loose.event)).toBe(false);
      expect(logOf(loose.sim)).toEqual(logOf(frozen.sim));
      expect(loose.sim.digest()).toBe(frozen.sim.digest());

      const environment = process.env.NODE_ENV;
      try {
        process.env.NODE_ENV = 'production';
        expect(Object.isFrozen(run({}).event)).toBe(false);
        process.env.NODE_ENV = 'test';
        expect(Object.isFrozen(run({}).event)).toBe(true);
      } finally {
        process.env.NODE_ENV = environment;
      }
    });
  });

  describe('plugins cannot reach the log', () => {
    it('a plugin that injects the Store fails to load: the store is not bound for plugins', () => {
      class Sneaky implements CommandHandlers {
        constructor(@inject(Store) readonly store: unknown) {}
        readonly handlers = [handle(sneak, () => {})];
      }
      const sneaky = definePlugin({
        package: { name: '@test/sneaky', version: '1.0.0' },
        commands: [sneak],
        handlers: [Sneaky],
      });
      expect(() => new Simulation({ plugins: [sneaky()] })).toThrow(
        'No bindings found for service: "Symbol(@chronovisor/core:Store)"',
      );
    });

    it('the EventBus a plugin can inject offers no way to publish', () => {
      class Watcher implements CommandHandlers {
        constructor(@inject(EventBus) readonly bus: EventBus) {}
        readonly handlers = [handle(sneak, () => {})];
      }
      const watcher = definePlugin({
        package: { name: '@test/sneaky', version: '1.0.0' },
        commands: [sneak],
        handlers: [Watcher],
      });
      const sim = new Simulation({ plugins: [watcher()] });
      const { bus } = sim.get(Watcher);
      expect(bus).toBe(sim.bus);
      expect(Object.keys(bus).sort()).toEqual([
        'events$',
        'ofType',
        'records$',
        'subscriberErrors$',
      ]);
      const surfaces: unknown[] = [bus, bus.records$, bus.events$, bus.subscriberErrors$];
      for (const surface of surfaces) {
        expect(surface).not.toHaveProperty('next');
        expect(surface).not.toHaveProperty('publish');
        expect(surface).not.toHaveProperty('complete');
      }
    });
  });

  describe('guards', () => {
    it("refuses a plugin's emit of another plugin's event type, naming both", () => {
      const sim = new Simulation({ plugins: [ledgerPlugin(), bankPlugin()] });
      const result = sim.dispatch(forge, {});
      expect(result.rejection).toEqual({
        error: 'Error',
        message:
          'plugin:bank may not emit "ledger.account.posted": only plugin:ledger, which declares it, may (call one of its commands instead)',
      });
      expect([...sim.get(Balances).values]).toEqual([]);
    });

    it('refuses a dispatch from inside a bus observer, pointing at reactors', () => {
      const { sim } = setup();
      const errors: unknown[] = [];
      sim.bus.subscriberErrors$.subscribe(({ error }) => errors.push(error));
      sim.bus
        .ofType('ledger.account.posted')
        .subscribe(() => sim.dispatch(post, postings(['x', 1])));
      sim.dispatch(post, postings(['a', 1]));
      expect(errors.map(String)).toEqual([
        'ReentrantDispatchError: Cannot dispatch "ledger.post" while another command is executing: to issue commands in response to events, contribute a Reactor (its commands run after the current one, in order)',
      ]);
      expect(sim.seq).toBe(2);
      expect(sim.get(Balances).values.has('x')).toBe(false);
    });

    it('refuses to run after close', () => {
      const { sim } = setup();
      sim.dispatch(post, postings(['a', 1]));
      sim.close();
      expect(() => sim.dispatch(post, postings())).toThrow('The simulation is closed');
      expect(sim.seq).toBe(2);
      expect(sim.tick).toBe(1);
    });
  });

  describe('digests', () => {
    it('records a state digest every interval and one at close', () => {
      const sim = new Simulation({ plugins: [ledgerPlugin()], digestInterval: 4 });
      for (let i = 0; i < 5; i++) sim.dispatch(post, postings(['a', 1]));
      sim.dispatch(post, postings());
      sim.close();
      expect(sim.store.digests().map((d) => d.seq)).toEqual([4, 8, 11]);
      expect(sim.store.digests().at(-1)!.digest).toBe(sim.digest());
    });

    it('depends only on the state, not on how it was reached', () => {
      const a = setup().sim;
      a.dispatch(post, postings(['x', 1], ['y', 2]));
      const b = setup().sim;
      b.dispatch(post, postings(['y', 2]));
      b.dispatch(post, postings(['x', 1]));
      expect(a.digest()).toBe(b.digest());
      b.dispatch(post, postings(['x', 1]));
      expect(a.digest()).not.toBe(b.digest());
    });
  });

  it('returns the events a command emitted and what its handler returned', () => {
    const { sim } = setup();
    const result = sim.dispatch(post, postings(['a', 1], ['b', 2]));
    expect(result.events.map((e) => [e.seq, e.v, e.data])).toEqual([
      [2, 1, { account: 'a', amount: 1 }],
      [3, 1, { account: 'b', amount: 2 }],
    ]);
    expect(result.value).toBe(2);
    // A handler that returns nothing leaves no value.
    expect(sim.dispatch(post, postings())).toEqual({ seq: 4, ok: true, events: [] });
  });
});

// A second plugin, to tell the calling plugin from the called one.
const paymentMade = defineEvent('bank.payment.made', {
  data: z.object({ from: z.string(), to: z.string() }),
});
const pay = defineCommand('bank.pay', { args: z.object({ from: z.string(), to: z.string() }) });
const spin = defineCommand('bank.spin', { args: z.object({}) });
/** Records a payment, then tries to change the record its emit returned. */
const tamper = defineCommand('bank.tamper', {
  args: z.object({ from: z.string(), to: z.string() }),
  returns: returns<string[]>(),
});
const sneak = defineCommand('sneaky.peek', { args: z.object({}) });
/** Emits the ledger's event itself instead of calling the ledger's command. */
const forge = defineCommand('bank.forge', { args: z.object({}) });

class BankCommands implements CommandHandlers {
  readonly handlers = [
    handle(pay, ({ from, to }, context) => {
      context.emit(paymentMade, { from, to });
      context.call(transfer, { from, to, amount: 1 });
    }),
    handle(spin, (args, context) => {
      context.call(spin, args);
    }),
    handle(forge, (_args, context) => {
      context.emit(posted, { account: 'bank', amount: 1_000_000 });
    }),
    handle(tamper, ({ from, to }, context) => {
      const record = context.emit(paymentMade, { from, to });
      const refusals: string[] = [];
      const attempt = (change: () => void): void => {
        try {
          change();
        } catch (error) {
          refusals.push(String(error));
        }
      };
      attempt(() => ((record as { seq: number }).seq = 99));
      attempt(() => ((record.data as { to: string }).to = 'mallory'));
      attempt(() => ((record.data as Record<string, unknown>).extra = true));
      return refusals;
    }),
  ];
}

const bankPlugin = definePlugin({
  package: { name: '@test/bank', version: '1.0.0' },
  requires: { '@test/ledger': '^1' },
  commands: [pay, spin, tamper, forge],
  events: [paymentMade],
  handlers: [BankCommands],
});
