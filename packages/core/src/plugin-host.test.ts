import { Container, ContainerModule, injectable } from 'inversify';
import { CommandHandler, Projection, Query } from './contributions';
import { definePlugin, type Plugin, type PluginManifest } from './plugin';
import { PluginHost } from './plugin-host';
import { PluginSetError, orderPlugins } from './plugin-order';

const plugin = (
  name: string,
  version = '1.0.0',
  requires?: Record<string, string>,
  module?: ContainerModule,
): Plugin =>
  definePlugin({
    manifest: { name, version, ...(requires ? { requires } : {}) },
    module: module ?? new ContainerModule(() => {}),
  });

function problem(plugins: Plugin[]): { problem: string; message: string } {
  try {
    new PluginHost(plugins).load(new Container());
  } catch (error) {
    if (error instanceof PluginSetError) return { problem: error.problem, message: error.message };
    throw error;
  }
  throw new Error('the plugin set was accepted');
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

  it('two plugins handling the same command, naming both', () => {
    @injectable()
    class Handler implements CommandHandler {
      readonly type = 'kv.put';
      parse = (args: unknown) => args;
      execute(): void {}
    }
    const module = () =>
      new ContainerModule(({ bind }) => void bind(CommandHandler).to(Handler).inSingletonScope());
    expect(
      problem([
        plugin('kv-a', '1.0.0', undefined, module()),
        plugin('kv-b', '1.0.0', undefined, module()),
      ]),
    ).toEqual({
      problem: 'conflict',
      message: 'Command "kv.put" is contributed by both "kv-a" and "kv-b"',
    });
  });

  it('two plugins with a query of the same name, naming both', () => {
    const module = () =>
      new ContainerModule(({ bind }) => void bind(Query).toConstantValue({ name: 'stats' }));
    expect(
      problem([
        plugin('one', '1.0.0', undefined, module()),
        plugin('two', '1.0.0', undefined, module()),
      ]),
    ).toEqual({
      problem: 'conflict',
      message: 'Query "stats" is contributed by both "one" and "two"',
    });
  });

  it('a projection listening for an event type nobody declares', () => {
    const projection: Projection = {
      name: 'p',
      eventTypes: ['mmu.page.mapped'],
      apply() {},
      snapshot: () => null,
      restore() {},
      digest: () => '',
    };
    const module = new ContainerModule(
      ({ bind }) => void bind(Projection).toConstantValue(projection),
    );
    expect(problem([plugin('watcher', '1.0.0', undefined, module)])).toEqual({
      problem: 'missing',
      message:
        'Plugin "watcher" listens for event type "mmu.page.mapped", which no plugin in the set declares',
    });
  });
});

describe('definePlugin', () => {
  it('refuses a malformed manifest, naming each field', () => {
    const manifest = {
      name: 'Bad Name',
      version: 'one',
      requires: { mmu: 'soon' },
    } as PluginManifest;
    expect(() => definePlugin({ manifest, module: new ContainerModule(() => {}) })).toThrow(
      'Invalid manifest of plugin "Bad Name": manifest.name: must be an npm package name; manifest.version: must be a semver version such as 1.0.0; manifest.requires.mmu: must be a semver range such as ^1.0.0',
    );
  });
});

describe('PluginHost.load', () => {
  it('attributes each contribution to the plugin that bound it', () => {
    const module = new ContainerModule(
      ({ bind }) => void bind(Query).toConstantValue({ name: 'q' }),
    );
    const loaded = new PluginHost([plugin('a', '1.0.0', { b: '^1' }, module), plugin('b')]).load(
      new Container(),
    );
    expect(loaded.plugins.map((p) => [p.plugin.manifest.name, p.queries])).toEqual([
      ['b', []],
      ['a', ['q']],
    ]);
  });
});
