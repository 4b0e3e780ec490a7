// Lint rules that hold the design mechanically: determinism in simulation code, packages
// imported only through their public face, and no promise left floating.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { defineConfig, globalIgnores } = require('eslint/config');

const simulationCode = [
  'packages/core/src/**/*.ts',
  'packages/mmu/src/**/*.ts',
  'plugins/*/src/**/*.ts',
];
const wallClock = 'Simulation code must be deterministic: read the injected Clock instead.';
const randomness = 'Simulation code must be deterministic: draw from the injected Rng instead.';
const timers = 'Simulation code runs synchronously on the simulated clock: no timers.';

module.exports = defineConfig([
  globalIgnores(['**/node_modules/', '**/lib/', '**/coverage/', 'bench/results.json']),
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: __dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-deprecated': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@chronovisor/*/src',
                '@chronovisor/*/src/*',
                '@chronovisor/*/lib',
                '@chronovisor/*/lib/*',
              ],
              message:
                'Import a package by its name only (@chronovisor/<name>), through its src/index.ts.',
            },
            {
              regex: '^(\\.\\./)+(packages|plugins|examples)/',
              message:
                'Import another package by its name (@chronovisor/<name>), never by a path into it.',
            },
            {
              regex: '^(\\.\\./){2,}[^.]',
              message:
                'This path leaves the package: import the other package by its name (@chronovisor/<name>).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        console: 'readonly',
        process: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: simulationCode,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: wallClock },
        { object: 'Math', property: 'random', message: randomness },
        { object: 'performance', property: 'now', message: wallClock },
        { object: 'globalThis', property: 'setTimeout', message: timers },
        { object: 'globalThis', property: 'setInterval', message: timers },
        { object: 'globalThis', property: 'setImmediate', message: timers },
        { object: 'globalThis', property: 'Date', message: wallClock },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: timers },
        { name: 'setInterval', message: timers },
        { name: 'setImmediate', message: timers },
        { name: 'queueMicrotask', message: timers },
        { name: 'performance', message: wallClock },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: wallClock },
        { selector: "CallExpression[callee.name='Date']", message: wallClock },
        {
          selector:
            'ImportDeclaration[source.value=/^(node:)?(timers|timers\\/promises|perf_hooks|fs|fs\\/promises|net|http|https|child_process)$/]',
          message:
            'Simulation code does no I/O and uses no timers: only the injected Clock, Rng and Store.',
        },
      ],
    },
  },
]);
