// Lint rules that hold the design mechanically: determinism in simulation code, packages
// imported only through their public face and along DESIGN.md's dependency arrows, and no
// promise left floating.
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
const dateSyntax = [
  { selector: "NewExpression[callee.name='Date']", message: wallClock },
  { selector: "CallExpression[callee.name='Date']", message: wallClock },
];
const ioImports = {
  selector:
    'ImportDeclaration[source.value=/^(node:)?(timers|timers\\/promises|perf_hooks|fs|fs\\/promises|net|http|https|child_process)$/]',
  message:
    'Simulation code does no I/O and uses no timers: only the injected Clock, Rng and Store.',
};

// Every package is imported by its name, through its src/index.ts. A later block's
// `no-restricted-imports` replaces an earlier one for its files, so the layering blocks below
// repeat these patterns.
const importPatterns = [
  {
    group: [
      '@chronovisor/*/src',
      '@chronovisor/*/src/*',
      '@chronovisor/*/lib',
      '@chronovisor/*/lib/*',
    ],
    message: 'Import a package by its name only (@chronovisor/<name>), through its src/index.ts.',
  },
  {
    regex: '^(\\.\\./)+(packages|plugins|examples)/',
    message: 'Import another package by its name (@chronovisor/<name>), never by a path into it.',
  },
  {
    regex: '^(\\.\\./){2,}[^.]',
    message:
      'This path leaves the package: import the other package by its name (@chronovisor/<name>).',
  },
];

// DESIGN.md's dependency arrows: plugins → mmu → core; store, replay, timetravel → core;
// core → errors (the root error class alone, which the store's worker threads load);
// cli → everything (cli, bench and examples are not restricted). Production code imports only
// what its arrow allows; tests and their support may also import what the package's
// package.json lists for them (its devDependencies).
const tests = ['**/*.test.ts', '**/test-support/**', '**/test-fixtures/**'];
const layers = [
  { folder: 'packages/errors', may: [], arrow: 'core → errors' },
  {
    folder: 'packages/core',
    may: ['errors'],
    arrow: 'plugins → mmu → core → errors; store, replay, timetravel → core',
  },
  { folder: 'packages/mmu', may: ['core'], arrow: 'plugins → mmu → core' },
  {
    folder: 'packages/store',
    may: ['core', 'errors'],
    arrow: 'store, replay, timetravel → core; store → errors (for its worker threads)',
  },
  {
    folder: 'packages/store-postgres',
    may: ['core', 'errors', 'store'],
    arrow: 'store-postgres → store → core: the run format and audit are the store’s',
  },
  { folder: 'packages/replay', may: ['core'], arrow: 'store, replay, timetravel → core' },
  {
    folder: 'packages/timetravel',
    may: ['core', 'store'],
    arrow: 'store, replay, timetravel → core; timetravel → store, as its package.json declares',
  },
  {
    folder: 'packages/ui',
    may: ['core', 'store', 'timetravel'],
    arrow: 'ui → timetravel, store, core; cli → ui',
  },
];
const pluginArrow = 'plugins → mmu → core';

/** `a`, `a and b`, `a, b and c`. */
const and = (names) =>
  names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** A pattern refusing every @chronovisor package but `allowed` (names without the scope). */
function onlyPattern(who, allowed, arrow, alsoExcluded = []) {
  const exempt = [...allowed, ...alsoExcluded];
  return {
    regex: `^@chronovisor/${exempt.length > 0 ? `(?!(?:${exempt.join('|')})(?:/|$))` : ''}`,
    message:
      allowed.length > 0
        ? `${who} may import only ${and(allowed.map((n) => `@chronovisor/${n}`))} (DESIGN.md: ${arrow})`
        : `${who} may import no @chronovisor package (DESIGN.md: ${arrow})`,
  };
}

const restrictImports = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [...importPatterns, ...patterns] }],
});

/** The @chronovisor packages a package's package.json lists, without the scope. */
function listedIn(folder) {
  const { dependencies = {}, devDependencies = {} } = require(`./${folder}/package.json`);
  return Object.keys({ ...dependencies, ...devDependencies })
    .filter((name) => name.startsWith('@chronovisor/'))
    .map((name) => name.slice('@chronovisor/'.length));
}

const layering = layers.flatMap(({ folder, may, arrow }) => {
  const forTests = [...new Set([...may, ...listedIn(folder)])];
  return [
    {
      files: [`${folder}/src/**/*.ts`],
      rules: restrictImports(onlyPattern(folder, may, arrow)),
    },
    {
      files: tests.map((pattern) => `${folder}/src/${pattern}`),
      rules: restrictImports(
        onlyPattern(
          `Tests of ${folder}`,
          forTests,
          `${arrow}; tests also what ${folder}/package.json lists`,
        ),
      ),
    },
  ];
});

module.exports = defineConfig([
  globalIgnores([
    '**/node_modules/',
    '**/lib/',
    '**/coverage/',
    'bench/results.json',
    'packages/ui/dist/',
    'packages/ui/lib-web/',
  ]),
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
      ...restrictImports(),
    },
  },
  {
    // The packages' tsconfig.json (the builds) leave tests out; tsconfig.test.json has them all.
    files: tests.map((pattern) => `*/*/src/${pattern}`),
    ignores: ['**/*.js'],
    languageOptions: {
      parserOptions: { projectService: false, project: './tsconfig.test.json' },
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
      'no-restricted-syntax': ['error', ...dateSyntax, ioImports],
    },
  },
  {
    // Loader code, not simulation logic: definePlugin() reads the plugin's package.json once,
    // when the plugin is defined, so that its manifest repeats nothing the package says.
    files: ['packages/core/src/package-of.ts'],
    rules: { 'no-restricted-syntax': ['error', ...dateSyntax] },
  },
  ...layering,
  {
    files: ['plugins/*/src/**/*.ts'],
    rules: restrictImports(
      onlyPattern('A plugin', ['core', 'mmu'], pluginArrow, ['plugin-[^/]*']),
      {
        regex: '^@chronovisor/plugin-',
        message:
          "A plugin never imports another plugin: it uses the other's published commands, events and queries, and names it in its manifest's requires (DESIGN.md: plugins → mmu → core)",
      },
    ),
  },
  {
    // The page (packages/ui/web) is a browser bundle: it talks to the server only through /api/,
    // and takes the API's types from the server's src/api.ts by path (type-only: Vite erases it).
    files: ['packages/ui/web/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...importPatterns.filter((p) => p.regex !== '^(\\.\\./){2,}[^.]'),
            {
              regex: '^\\.\\./\\.\\./(?!src/api$)',
              message: "The page imports only the API's types from the server: '../../src/api'.",
            },
            onlyPattern(
              'The page (packages/ui/web)',
              [],
              'ui → timetravel, store, core; the page → /api/',
            ),
          ],
        },
      ],
    },
  },
  {
    // The page's Vite config: an ES module run by Node, outside any tsconfig.
    files: ['packages/ui/web/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'module', globals: { URL: 'readonly' } },
  },
]);
