// One jest project per workspace, each running its TypeScript sources directly through swc.
// Workspace packages resolve to their src/index.ts, so tests never need a prior build.
const fs = require('node:fs');
const path = require('node:path');

const workspaceGroups = ['packages', 'plugins', 'examples'];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// Order matters: the prefixed names must win over the generic @chronovisor/* mapping.
const moduleNameMapper = {
  '^@chronovisor/plugin-(.*)$': path.join(__dirname, 'plugins/$1/src/index.ts'),
  '^@chronovisor/example-(.*)$': path.join(__dirname, 'examples/$1/src/index.ts'),
  '^@chronovisor/(.*)$': path.join(__dirname, 'packages/$1/src/index.ts'),
};

const projects = workspaceGroups.flatMap((group) => {
  const dir = path.join(__dirname, group);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'src')))
    .map((name) => ({
      displayName: `${group}/${name}`,
      rootDir: path.join(dir, name),
      roots: ['<rootDir>/src'],
      testEnvironment: 'node',
      transform: { '^.+\\.tsx?$': swc },
      moduleNameMapper,
      setupFiles: ['reflect-metadata'],
    }));
});

/** @type {import('jest').Config} */
module.exports = {
  projects,
  cacheDirectory: path.join(__dirname, 'node_modules/.cache/jest'),
};
