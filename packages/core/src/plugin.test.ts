import { inject } from 'inversify';
import { z } from 'zod';
import type { Query } from './contributions';
import { ValidationError } from './errors';
import { defineOptions, definePlugin, type OptionsOf, type PluginDefinition } from './plugin';
import { Simulation } from './simulation';

const XOptions = defineOptions(
  '@test/x:options',
  z.strictObject({
    field: z.number().int().default(3),
    label: z.string().optional(),
  }),
);

class Settings implements Query {
  readonly name = 'x';
  constructor(@inject(XOptions.token) readonly options: OptionsOf<typeof XOptions>) {}
}

const facts = { name: '@test/x', version: '1.2.3', description: 'A plugin for tests.' };

const xPlugin = definePlugin({ package: facts, options: XOptions, queries: [Settings] });

describe('definePlugin', () => {
  it('takes the manifest from the package facts, with the prefix from the name', () => {
    const manifest = {
      name: '@test/x',
      version: '1.2.3',
      description: 'A plugin for tests.',
      prefix: 'x',
    };
    expect(xPlugin.manifest).toEqual(manifest);
    expect(xPlugin().manifest).toEqual(manifest);
    // A whole package.json will do: only its facts are kept.
    const packageJson = { ...facts, main: 'lib/index.js', dependencies: { zod: '^4' } };
    expect(definePlugin({ package: packageJson }).manifest).toEqual(manifest);
  });

  it('derives the prefix from the package name, unless given, and keeps what the plugin requires', () => {
    const prefixOf = (name: string, definition: Omit<PluginDefinition, 'package'> = {}) =>
      definePlugin({ package: { name, version: '1.0.0' }, ...definition }).manifest.prefix;
    expect(prefixOf('@chronovisor/plugin-heap')).toBe('heap');
    expect(prefixOf('@chronovisor/example-counter')).toBe('counter');
    expect(prefixOf('@chronovisor/mmu')).toBe('mmu');
    expect(prefixOf('stats')).toBe('stats');
    expect(prefixOf('@chronovisor/plugin-heap', { prefix: 'malloc' })).toBe('malloc');
    expect(
      definePlugin({
        package: { name: 'trace', version: '1.0.0' },
        requires: { '@chronovisor/mmu': '^1' },
      }).manifest,
    ).toEqual({
      name: 'trace',
      version: '1.0.0',
      requires: { '@chronovisor/mmu': '^1' },
      prefix: 'trace',
    });
  });

  it('refuses a bad version, naming the field and the value', () => {
    expect(() => definePlugin({ package: { name: '@test/x', version: 'one' } })).toThrow(
      new ValidationError('manifest of plugin "@test/x"', [
        'manifest.version = "one": must be a semver version such as 1.0.0',
      ]),
    );
    expect(() => definePlugin({ package: { name: '@test/x', version: '1.0' } })).toThrow(
      'Invalid manifest of plugin "@test/x": manifest.version = "1.0": must be a semver version such as 1.0.0',
    );
  });

  it('refuses options given to a plugin that takes none, naming them', () => {
    const plain = definePlugin({ package: { name: '@test/plain', version: '1.0.0' } });
    expect(plain().manifest.name).toBe('@test/plain');
    expect(plain({} as unknown as undefined).manifest.name).toBe('@test/plain');
    expect(() => plain({ verbose: true } as unknown as undefined)).toThrow(
      'Invalid options of plugin "@test/plain": options: Unrecognized key: "verbose"',
    );
  });

  it('refuses a malformed manifest, naming each field', () => {
    expect(() =>
      definePlugin({
        package: { name: 'Bad Name', version: 'one' },
        requires: { mmu: 'soon' },
        prefix: 'Bad.Prefix',
      }),
    ).toThrow(
      'Invalid manifest of plugin "Bad Name": manifest.name = "Bad Name": must be an npm package name; manifest.version = "one": must be a semver version such as 1.0.0; manifest.requires.mmu = "soon": must be a semver range such as ^1.0.0; manifest.prefix = "Bad.Prefix": must be lowercase letters, digits and -',
    );
  });

  it('checks the options, naming the plugin, the field and the value', () => {
    expect(() => xPlugin({ field: 1.5 })).toThrow(
      'Invalid options of plugin "@test/x": options.field = 1.5: Invalid input: expected int, received number',
    );
    // @ts-expect-error -- `field` is a number
    expect(() => xPlugin({ field: 'two' })).toThrow(
      'Invalid options of plugin "@test/x": options.field = "two": Invalid input: expected number, received string',
    );
    // @ts-expect-error -- the options have no `extra`
    expect(() => xPlugin({ extra: true })).toThrow(
      'Invalid options of plugin "@test/x": options: Unrecognized key: "extra"',
    );
  });

  it('binds the checked options, defaults filled in, for the plugin to inject', () => {
    const read = (plugin: ReturnType<typeof xPlugin>) =>
      new Simulation({ plugins: [plugin] }).get(Settings).options;
    expect(read(xPlugin())).toEqual({ field: 3 });
    expect(read(xPlugin({ field: 7, label: 'seven' }))).toEqual({ field: 7, label: 'seven' });
    // Each call makes a plugin of its own: two sets do not share options.
    const a = xPlugin({ field: 1 });
    const b = xPlugin({ field: 2 });
    expect(a.module).not.toBe(b.module);
    expect([read(a).field, read(b).field]).toEqual([1, 2]);
  });

  it('makes a plugin of what it lists', () => {
    const plugin = xPlugin();
    expect([plugin.commands, plugin.events]).toEqual([[], []]);
    const sim = new Simulation({ plugins: [plugin] });
    expect(sim.plugins.map((p) => [p.plugin.manifest.name, p.queries])).toEqual([
      ['@test/x', ['x']],
    ]);
  });
});
