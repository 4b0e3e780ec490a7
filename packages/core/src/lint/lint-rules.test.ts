import { ESLint } from 'eslint';
import * as path from 'node:path';

// The design's rules are enforced by the lint; this checks that the lint really refuses them.
const root = path.join(__dirname, '..', '..', '..', '..');
// The config is passed in rather than found: ESLint loads config files with a dynamic import,
// which jest's CommonJS runtime cannot do.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(root, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

async function messages(code: string, file = 'packages/core/src/clock.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
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
      'examples/counter/src/demo.ts',
    );
    expect(found.join('\n')).toContain('Import a package by its name only');
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
