// Lets node run the workspace's TypeScript sources with nothing built, as jest does:
//   node -r ./register-src.js packages/store/src/test-support/record-until-killed.ts run.db
// A .ts file is compiled as it loads (ts-node through swc, transpile only: type-checking is
// `npm test`'s job), and `@chronovisor/<name>` resolves to that package's src/index.ts rather
// than the lib/ its package.json points at: the mapping of jest.config.js and tsconfig.test.json.
// Tests use it for the child processes they start (the store's crash test, the CLI's bin).
const Module = require('node:module');
const { existsSync } = require('node:fs');
const path = require('node:path');

// Through the environment, so a worker thread that registers ts-node itself (the store's sealing
// thread, run from its sources) compiles with the same options.
process.env.TS_NODE_SKIP_PROJECT = 'true';
process.env.TS_NODE_COMPILER_OPTIONS = JSON.stringify({
  module: 'commonjs',
  target: 'es2022',
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
});
require('ts-node').register({ transpileOnly: true, swc: true });

// The prefixed names first, as in jest.config.js: @chronovisor/plugin-heap is plugins/heap.
const folders = [
  ['plugin-', 'plugins'],
  ['example-', 'examples'],
  ['', 'packages'],
];
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request.startsWith('@chronovisor/') && !request.includes('/', '@chronovisor/'.length)) {
    const name = request.slice('@chronovisor/'.length);
    const [prefix, folder] = folders.find(([p]) => name.startsWith(p));
    const index = path.join(__dirname, folder, name.slice(prefix.length), 'src', 'index.ts');
    if (existsSync(index)) return index;
  }
  // A workspace package named by its folder (a config's plugin by path): its sources too.
  if (path.isAbsolute(request) && existsSync(path.join(request, 'src', 'index.ts'))) {
    const inside = path.relative(__dirname, request).split(path.sep);
    if (inside.length === 2 && folders.some(([, folder]) => folder === inside[0]))
      return path.join(request, 'src', 'index.ts');
  }
  return resolveFilename.call(this, request, ...rest);
};
