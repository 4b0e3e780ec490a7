import { Container } from 'inversify';
import { z } from 'zod';
import { handle, on, type CommandHandlers, type Projection, type Query } from './contributions';
import { CORE_EVENTS } from './core-events';
import { defineCommand, defineEvent } from './declarations';
import { definePlugin, type Plugin, type PluginDefinition } from './plugin';
import { CORE_OWNER, PluginHost } from './plugin-host';
import { PluginSetError, orderPlugins } from './plugin-order';

const plugin = (
  name: string,
  version = '1.0.0',
  requires?: Record<string, string>,
  parts: Omit<PluginDefinition, 'package' | 'requires'> = {},
): Plugin =>
  definePlugin({ package: { name, version }, ...(requires ? { requires } : {}), ...parts })();

function problem(plugins: Plugin[]): { problem: string; message: string } {
  try {
    new PluginHost(plugins).load(new Container(), CORE_EVENTS);
  } catch (error) {
    if (error instanceof PluginSetError) return { problem: error.problem, message: error.message };
    throw error;
  }
  throw new Error('the plugin set was accepted');
}

const put = defineCommand('kv.put', { args: z.object({ key: z.string() }) });
const stored = defineEvent('kv.value.stored', { data: z.object({ key: z.string() }) });

class Puts implements CommandHandlers {
  readonly handlers = [handle(put, ({ key }, context) => void context.emit(stored, { key }))];
}

class Stats implements Query {
  readonly name = 'stats';
}

/** A projection listening for `event`, named `name`. */
function projectionOn(name: string, event: typeof stored) {
  return class implements Projection<null> {
    readonly name = name;
    readonly listeners = [on(event, () => {})];
    snapshot = () => null;
    restore() {}
    digest = () => '';
  };
}

describe('orderPlugins', () => {
  it('puts each plugin after what it requires, keeping the given order otherwise', () => {
    const heap = plugin('heap', '1.0.0', { mmu: '^1' });
    const mmu = plugin('mmu', '1.2.0');
    const stats = plugin('stats');
    const trace = plugin('trace', '1.0.0', { heap: '1.x', mmu: '>=1.1' });
    expect(orderPlugins([trace, stats, heap, mmu]).map((p) => p.manifest.name)).toEqual([
      'mmu',
      'heap',
      'trace',
      'stats',
    ]);
  });
});

describe('PluginHost refuses', () => {
  it('a missing plugin, naming who requires it and the range', () => {
    expect(problem([plugin('heap', '1.0.0', { mmu: '^1.0.0' })])).toEqual({
      problem: 'missing',
      message: 'Plugin "heap"@1.0.0 requires "mmu" ^1.0.0, which is not in the plugin set',
    });
  });

  it('a duplicate plugin, naming both versions', () => {
    expect(problem([plugin('mmu', '1.0.0'), plugin('heap'), plugin('mmu', '1.2.0')])).toEqual({
      problem: 'duplicate',
      message: 'Plugin "mmu" is in the plugin set twice: @1.0.0 and @1.2.0',
    });
  });

  it('a cycle, naming every link with its range', () => {
    expect(
      problem([
        plugin('a', '1.0.0', { b: '^1' }),
        plugin('b', '1.1.0', { c: '~1.0' }),
        plugin('c', '1.0.3', { a: '1.x' }),
      ]),
    ).toEqual({
      problem: 'cycle',
      message:
        'Plugins require each other in a cycle: "a"@1.0.0 requires "b" ^1, "b"@1.1.0 requires "c" ~1.0, "c"@1.0.3 requires "a" 1.x',
    });
  });

  it('an incompatible version, naming the range and the version found', () => {
    expect(problem([plugin('mmu', '1.4.0'), plugin('heap', '2.0.0', { mmu: '^2.0.0' })])).toEqual({
      problem: 'incompatible',
      message: 'Plugin "heap"@2.0.0 requires "mmu" ^2.0.0, but the plugin set has "mmu"@1.4.0',
    });
  });

  it('two plugins declaring the same command type, naming both', () => {
    const parts = { prefix: 'kv', commands: [put], handlers: [Puts] };
    expect(
      problem([
        plugin('kv-a', '1.0.0', undefined, parts),
        plugin('kv-b', '1.0.0', undefined, parts),
      ]),
    ).toEqual({
      problem: 'conflict',
      message: 'Command type "kv.put" is declared by both "kv-a" and "kv-b"',
    });
  });

  it('a plugin declaring an event type the kernel declares', () => {
    const [reactionFailed] = CORE_EVENTS;
    expect(problem([plugin('core', '1.0.0', undefined, { events: [reactionFailed] })])).toEqual({
      problem: 'conflict',
      message: `Event type "core.reaction.failed" is declared by both "${CORE_OWNER}" and "core"`,
    });
  });

  it('one plugin handling the same command twice', () => {
    class MorePuts extends Puts {}
    expect(
      problem([plugin('kv', '1.0.0', undefined, { commands: [put], handlers: [Puts, MorePuts] })]),
    ).toEqual({
      problem: 'conflict',
      message: 'Plugin "kv" handles command "kv.put" twice',
    });
  });

  it('two plugins with a query of the same name, naming both', () => {
    expect(
      problem([
        plugin('one', '1.0.0', undefined, { queries: [Stats] }),
        plugin('two', '1.0.0', undefined, { queries: [Stats] }),
      ]),
    ).toEqual({
      problem: 'conflict',
      message: 'Query "stats" is contributed by both "one" and "two"',
    });
  });

  it('two plugins with a projection of the same name, naming both', () => {
    const kv = plugin('kv', '1.0.0', undefined, {
      commands: [put],
      events: [stored],
      handlers: [Puts],
      projections: [projectionOn('values', stored)],
    });
    const copy = plugin(
      'copy',
      '1.0.0',
      { kv: '^1' },
      { projections: [projectionOn('values', stored)] },
    );
    expect(problem([kv, copy])).toEqual({
      problem: 'conflict',
      message: 'Projection "values" is contributed by both "kv" and "copy"',
    });
  });

  it('a projection listening for an event type nobody declares', () => {
    const watcher = plugin('watcher', '1.0.0', undefined, {
      projections: [projectionOn('watch', stored)],
    });
    expect(problem([watcher])).toEqual({
      problem: 'missing',
      message:
        'Plugin "watcher" listens for event type "kv.value.stored", which no plugin in the set declares',
    });
  });
});

describe('PluginHost.load', () => {
  it('attributes each contribution to the plugin that bound it, in dependency order', () => {
    const kv = plugin('kv', '1.0.0', undefined, {
      commands: [put],
      events: [stored],
      handlers: [Puts],
      projections: [projectionOn('values', stored)],
    });
    const stats = plugin('stats', '1.0.0', { kv: '^1' }, { queries: [Stats] });
    const loaded = new PluginHost([stats, kv]).load(new Container(), CORE_EVENTS);
    expect(
      loaded.plugins.map((p) => [
        p.plugin.manifest.name,
        p.commands,
        p.events,
        p.projections,
        p.queries,
      ]),
    ).toEqual([
      ['kv', ['kv.put'], ['kv.value.stored'], ['values'], []],
      ['stats', [], [], [], ['stats']],
    ]);
    expect([...loaded.handlers].map(([type, h]) => [type, h.command, h.actor])).toEqual([
      ['kv.put', put, 'plugin:kv'],
    ]);
    expect(loaded.eventTypes.list().map((t) => [t.type, t.owner])).toEqual([
      ['core.reaction.failed', CORE_OWNER],
      ['kv.value.stored', 'kv'],
    ]);
  });
});
