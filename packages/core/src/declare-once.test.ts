import { inject } from 'inversify';
import { z } from 'zod';
import {
  handle,
  on,
  type CommandContext,
  type CommandHandlers,
  type Projection,
} from './contributions';
import {
  defineCommand,
  defineEvent,
  isEvent,
  returns,
  type ArgsOf,
  type InputOf,
} from './declarations';
import { digestOf } from './digest';
import { definePlugin, type PluginDefinition } from './plugin';
import { PluginSetError } from './plugin-order';
import type { EventRecord } from './record';
import { Simulation } from './simulation';

// One command and one event, each declared once: everything below is derived from these two.

/** Adds `x` to the tally, with a note (default none); returns the new total. */
const add = defineCommand('tally.add', {
  args: z.object({ x: z.number().int(), note: z.string().default('') }),
  returns: returns<number>(),
  description: 'Add `x` to the tally.',
});

/** The tally grew by `x`, to `total`. Version 1 recorded only `n`, the amount added. */
const added = defineEvent('tally.value.added', {
  data: z.object({ x: z.number(), total: z.number(), note: z.string() }),
  version: 2,
  upcasters: { 1: ({ n }: { n: number }) => ({ x: n, total: n, note: '' }) },
});

class Tally implements Projection<number> {
  readonly name = 'tally';
  total = 0;
  readonly listeners = [
    on(added, ({ data }) => {
      // Typed apply: `data` is the event's payload, read without a cast.
      const x: number = data.x;
      this.total += x;
      // @ts-expect-error -- the payload has no field `y`
      void data.y;
    }),
  ];
  snapshot = () => this.total;
  restore(total: number) {
    this.total = total;
  }
  digest = () => digestOf(this.total);
}

class TallyCommands implements CommandHandlers {
  constructor(@inject(Tally) private readonly tally: Tally) {}

  readonly handlers = [
    handle(add, ({ x, note }, context) => {
      // Typed args: defaults are filled in, so `note` is a string here.
      const text: string = note;
      const event = context.emit(added, { x, total: this.tally.total + x, note: text });
      // Typed emit: the record's payload is typed too, and it was applied at once.
      const total: number = event.data.total;
      expect(this.tally.total).toBe(total);
      return total;
    }),
  ];
}

const parts = {
  commands: [add],
  events: [added],
  projections: [Tally],
  handlers: [TallyCommands],
} satisfies Omit<PluginDefinition, 'package'>;

const tallyPlugin = definePlugin({
  package: { name: '@test/tally', version: '1.0.0' },
  ...parts,
});

describe('declaring a command and an event once gives', () => {
  it('typed dispatch: arguments as the caller writes them, and a typed result', () => {
    const sim = new Simulation({ plugins: [tallyPlugin()] });
    const result = sim.dispatch(add, { x: 2 });
    const value: number | undefined = result.value;
    expect(value).toBe(2);
    expect(sim.dispatch(add, { x: 3, note: 'three' }).value).toBe(5);
    expect(sim.get(Tally).total).toBe(5);

    // Each of these is a compile error; at run time the boundary refuses them too.
    // @ts-expect-error -- `x` must be a number
    expect(sim.dispatch(add, { x: 'two' }).ok).toBe(false);
    // @ts-expect-error -- `note` must be a string
    expect(sim.dispatch(add, { x: 1, note: 5 }).ok).toBe(false);
    // @ts-expect-error -- `x` is required
    expect(sim.dispatch(add, { note: 'none' }).ok).toBe(false);
    // An unknown field is a compile error, and refused at run time: a typo is not a default.
    // @ts-expect-error -- no field `y`
    expect(sim.dispatch(add, { x: 1, y: 2 }).rejection?.message).toBe(
      'Invalid command tally.add: args: Unrecognized key: "y"',
    );
    // @ts-expect-error -- the value is a number, not a string
    const text: string | undefined = sim.dispatch(add, { x: 1 }).value;
    expect(text).toBe(6);

    // What a caller writes (defaults may be left out) and what a handler gets (filled in).
    const input: InputOf<typeof add> = { x: 1 };
    const args: ArgsOf<typeof add> = { x: 1, note: '' };
    // @ts-expect-error -- a handler's args always hold `note`
    const partial: ArgsOf<typeof add> = { x: 1 };
    expect([input, args, partial]).toHaveLength(3);
  });

  it('typed emit and typed handlers', () => {
    const check = (context: CommandContext): void => {
      // @ts-expect-error -- `x` must be a number
      context.emit(added, { x: 'one', total: 1, note: '' });
      // @ts-expect-error -- `total` is missing
      context.emit(added, { x: 1, note: '' });
      // @ts-expect-error -- a call takes the handler's args: `note` must be given
      context.call(add, { x: 1 });
      const total: number = context.call(add, { x: 1, note: '' });
      void total;
    };
    // @ts-expect-error -- the handler of `tally.add` must return a number
    const wrong = handle(add, () => 'ten');
    expect([check, wrong.command]).toEqual([expect.any(Function), add]);
  });

  it('boundary validation naming the command, the field and the value', () => {
    const sim = new Simulation({ plugins: [tallyPlugin()] });
    expect(sim.dispatch('tally.add', { x: 'two' }).rejection).toEqual({
      error: 'ValidationError',
      message:
        'Invalid command tally.add: args.x = "two": Invalid input: expected number, received string',
    });
    expect(sim.dispatch('tally.add', { x: 1.5, note: 7 }).rejection).toEqual({
      error: 'ValidationError',
      message:
        'Invalid command tally.add: args.x = 1.5: Invalid input: expected int, received number; args.note = 7: Invalid input: expected string, received number',
    });
    expect(sim.dispatch('tally.add', {}).rejection).toEqual({
      error: 'ValidationError',
      message:
        'Invalid command tally.add: args.x: Invalid input: expected number, received undefined',
    });
    expect(() => add.parse({ x: 'two' })).toThrow(
      'Invalid command tally.add: args.x = "two": Invalid input: expected number, received string',
    );
    expect(add.parse({ x: 4 })).toEqual({ x: 4, note: '' });
    expect(sim.get(Tally).total).toBe(0);
  });

  it('versioned records, and upcasting of older ones', () => {
    const sim = new Simulation({ plugins: [tallyPlugin()] });
    const [event] = sim.dispatch(add, { x: 4 }).events;
    expect(event).toEqual({
      seq: 2,
      tick: 1,
      actor: 'user',
      cause: 1,
      kind: 'event',
      type: 'tally.value.added',
      v: 2,
      data: { x: 4, total: 4, note: '' },
    });
    const v1: EventRecord = {
      seq: 9,
      tick: 3,
      actor: 'user',
      cause: 8,
      kind: 'event',
      type: 'tally.value.added',
      v: 1,
      data: { n: 3 },
    };
    expect(sim.eventTypes.upcast(v1)).toEqual({ ...v1, v: 2, data: { x: 3, total: 3, note: '' } });
    expect(sim.eventTypes.list().find((t) => t.type === added.type)).toEqual({
      type: 'tally.value.added',
      version: 2,
      owner: '@test/tally',
    });
  });
});

describe('loading refuses', () => {
  const load =
    (...plugins: ReturnType<typeof tallyPlugin>[]) =>
    () =>
      new Simulation({ plugins });
  const named = (name: string, definition: Omit<PluginDefinition, 'package'>) =>
    definePlugin({ package: { name, version: '1.0.0' }, ...definition })();

  it('a command type outside the plugin prefix, naming the plugin and the type', () => {
    const elsewhere = defineCommand('other.add', { args: z.object({}) });
    expect(load(named('@test/tally', { ...parts, commands: [add, elsewhere] }))).toThrow(
      new PluginSetError(
        'conflict',
        'Plugin "@test/tally" declares command type "other.add", which does not start with its prefix "tally."',
      ),
    );
  });

  it('an event type outside the plugin prefix, naming the plugin and the type', () => {
    const elsewhere = defineEvent('tallyho.value.added', { data: z.object({}) });
    expect(load(named('@test/tally', { ...parts, events: [added, elsewhere] }))).toThrow(
      'Plugin "@test/tally" declares event type "tallyho.value.added", which does not start with its prefix "tally."',
    );
  });

  it('the same type declared by two plugins, naming both', () => {
    const copy = named('@test/tally-copy', { prefix: 'tally', events: [added] });
    expect(load(tallyPlugin(), copy)).toThrow(
      'Event type "tally.value.added" is declared by both "@test/tally" and "@test/tally-copy"',
    );
    const commandCopy = named('@test/tally-copy', { prefix: 'tally', commands: [add] });
    expect(load(tallyPlugin(), commandCopy)).toThrow(
      'Command type "tally.add" is declared by both "@test/tally" and "@test/tally-copy"',
    );
  });

  it('a command declared without a handler', () => {
    expect(load(named('@test/tally', { ...parts, handlers: [] }))).toThrow(
      'Plugin "@test/tally" declares command "tally.add" but no handler for it',
    );
  });

  it('a handler for a command not in the plugin commands', () => {
    expect(load(named('@test/tally', { ...parts, commands: [] }))).toThrow(
      'Plugin "@test/tally" handles command "tally.add", which it does not declare in its commands',
    );
  });

  it('nothing else: the plugin as declared loads', () => {
    expect(load(tallyPlugin())).not.toThrow();
  });
});

describe('isEvent', () => {
  it('tells an event of a declared type from other records, and types its payload', () => {
    const sim = new Simulation({ plugins: [tallyPlugin()] });
    const records = [...sim.dispatch(add, { x: 4 }).events];
    const [event] = records;
    expect(isEvent(event!, added)).toBe(true);
    if (isEvent(event!, added)) expect(event.data.total).toBe(4);
    const command = [...sim.store.read(1, 1)][0]!;
    expect(isEvent(command, added)).toBe(false);
  });
});
