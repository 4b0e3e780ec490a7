#!/usr/bin/env node
// The chronovisor command. In a fresh clone of the repository nothing is compiled yet, so the
// first run builds the packages (tsc -b, a few seconds); an installed package ships lib/ built.
const { existsSync } = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'lib', 'main.js');
const root = path.join(__dirname, '..', '..', '..');
if (!existsSync(main) && existsSync(path.join(root, 'tsconfig.json'))) {
  const { spawnSync } = require('node:child_process');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const built = spawnSync(process.execPath, [tsc, '-b', path.join(root, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(2);
}
// Records are frozen only in development (see SimulationOptions.freezeRecords): runs go at full speed.
process.env.NODE_ENV ??= 'production';
// Piped into `head` and friends: a closed pipe ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 2));
}
require(main)
  .main(process.argv)
  .then((code) => process.exit(code));
