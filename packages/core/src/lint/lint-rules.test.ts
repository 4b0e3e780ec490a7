import { ESLint } from 'eslint';
import * as path from 'node:path';
import tseslint from 'typescript-eslint';

// The design's rules are enforced by the lint; this checks that the lint really refuses them.
const root = path.join(__dirname, '..', '..', '..', '..');
// The config is passed in rather than found: ESLint loads config files with a dynamic import,
// which jest's CommonJS runtime cannot do.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(root, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });
// The import rules need no types, and a typed parse of a file the program already holds (a test
// file, in tsconfig.test.json) may lint the file's text on disk instead of the text given, which
// made the refusals below pass or fail by chance: they are linted without a program.
const untyped = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    ...(config as object[]),
    {
      ...tseslint.configs.disableTypeChecked,
      languageOptions: { parserOptions: { project: false, projectService: false } },
    },
  ] as ESLint.Options['overrideConfig'],
});

async function messages(
  code: string,
  file = 'packages/core/src/clock.ts',
  linter = eslint,
): Promise<string[]> {
  const [result] = await linter.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the lint', () => {
  jest.setTimeout(60_000);

  it.each([
    ['Date.now()', 'read the injected Clock'],
    ['new Date()', 'read the injected Clock'],
    ['Math.random()', 'draw from the injected Rng'],
    ['setTimeout(() => undefined, 1)', 'no timers'],
    ['globalThis.setInterval(() => undefined, 1)', 'no timers'],
  ])('refuses %s in simulation code', async (expression, reason) => {
    const found = await messages(`export const x = ${expression};\n`);
    expect(found.join('\n')).toContain(reason);
  });

  it('refuses timers and I/O imported from node modules in simulation code', async () => {
    const found = await messages(
      `import { setTimeout } from 'node:timers';\nexport const t = setTimeout;\n`,
    );
    expect(found.join('\n')).toContain('does no I/O and uses no timers');
  });

  it('refuses a path into another package', async () => {
    const found = await messages(
      `export { Simulation } from '@chronovisor/core/src/simulation';\n`,
      'examples/quickstart/src/index.ts',
    );
    expect(found.join('\n')).toContain('Import a package by its name only');
  });

  it('still refuses a path into another package where a folder has its own import rules', async () => {
    const found = await messages(
      `export { Simulation } from '@chronovisor/core/src/simulation';\n`,
      'packages/mmu/src/index.ts',
    );
    expect(found.join('\n')).toContain('Import a package by its name only');
  });

  describe("holds DESIGN.md's dependency arrows", () => {
    /** The import rule's messages for `import '<name>'` in `file` (and any fatal one: no file). */
    const importing = async (file: string, ...names: string[]) =>
      (await messages(names.map((name) => `import '${name}';\n`).join(''), file, untyped)).filter(
        (m) => m.startsWith('no-restricted-imports: ') || m.startsWith('null: '),
      );

    it.each([
      [
        'core importing mmu',
        'packages/core/src/clock.ts',
        '@chronovisor/mmu',
        'packages/core may import only @chronovisor/errors (DESIGN.md: plugins → mmu → core → errors',
      ],
      [
        'errors importing core',
        'packages/errors/src/index.ts',
        '@chronovisor/core',
        'packages/errors may import no @chronovisor package (DESIGN.md: core → errors)',
      ],
      [
        'mmu importing store',
        'packages/mmu/src/index.ts',
        '@chronovisor/store',
        'packages/mmu may import only @chronovisor/core (DESIGN.md: plugins → mmu → core)',
      ],
      [
        'a plugin importing another plugin',
        'plugins/heap/src/index.ts',
        '@chronovisor/plugin-handles',
        'A plugin never imports another plugin',
      ],
      [
        'store importing timetravel',
        'packages/store/src/index.ts',
        '@chronovisor/timetravel',
        'packages/store may import only @chronovisor/core and @chronovisor/errors (DESIGN.md: store, replay, timetravel → core; store → errors',
      ],
      [
        'replay code importing store, which only its tests may',
        'packages/replay/src/index.ts',
        '@chronovisor/store',
        'packages/replay may import only @chronovisor/core',
      ],
      [
        'a plugin test importing the CLI',
        'plugins/heap/src/heap.test.ts',
        '@chronovisor/cli',
        'A plugin may import only @chronovisor/core and @chronovisor/mmu',
      ],
    ])('refuses %s', async (_case, file, name, message) => {
      const found = await importing(file, name);
      expect(found).toHaveLength(1);
      expect(found[0]).toContain(message);
    });

    it.each([
      [
        'the CLI import everything',
        'packages/cli/src/index.ts',
        [
          '@chronovisor/core',
          '@chronovisor/mmu',
          '@chronovisor/store',
          '@chronovisor/replay',
          '@chronovisor/timetravel',
          '@chronovisor/plugin-heap',
        ],
      ],
      [
        'a plugin import mmu and core',
        'plugins/heap/src/index.ts',
        ['@chronovisor/core', '@chronovisor/mmu'],
      ],
      ['timetravel import store', 'packages/timetravel/src/index.ts', ['@chronovisor/store']],
      [
        "replay's tests import what its package.json lists for them",
        'packages/replay/src/test-support/tally-plugin.ts',
        ['@chronovisor/core', '@chronovisor/mmu', '@chronovisor/store'],
      ],
      [
        'an example import anything',
        'examples/quickstart/src/index.ts',
        ['@chronovisor/timetravel', '@chronovisor/plugin-heap'],
      ],
    ])('lets %s', async (_case, file, names) => {
      expect(await importing(file, ...names)).toEqual([]);
    });
  });

  it('lets the loader read a package.json in core, and nothing else there', async () => {
    const read = `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n`;
    expect(await messages(read, 'packages/core/src/package-of.ts')).toEqual([]);
    expect((await messages(read)).join('\n')).toContain('does no I/O and uses no timers');
    expect(
      (await messages(`export const x = new Date();\n`, 'packages/core/src/package-of.ts')).join(
        '\n',
      ),
    ).toContain('read the injected Clock');
  });

  it('refuses a floating promise', async () => {
    const found = await messages(`export function f(): void {\n  Promise.resolve(1);\n}\n`);
    expect(found.join('\n')).toContain('@typescript-eslint/no-floating-promises');
  });

  it('lets bench code read the wall clock', async () => {
    const found = await messages(`export const x = Date.now();\n`, 'packages/bench/src/measure.ts');
    expect(found).toEqual([]);
  });
});
