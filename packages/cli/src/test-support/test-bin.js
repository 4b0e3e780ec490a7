// The chronovisor command as the tests run it. Once lib/ is built (`npm test` builds it first)
// this is the real bin/chronovisor.js. With nothing built (`npx jest packages/cli` in a fresh
// clone) the real bin would build the whole repository in every test's child process; this runs
// the same entry from the TypeScript sources instead, @chronovisor/* mapped to src/.
const { existsSync } = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', '..');
if (existsSync(path.join(cli, 'lib', 'main.js'))) {
  require(path.join(cli, 'bin', 'chronovisor.js'));
} else {
  const root = path.join(cli, '..', '..');
  require(path.join(root, 'register-src.js'));
  // As the real bin: piped into `head` and friends, a closed pipe ends the output quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 2));
  }
  require(path.join(cli, 'src', 'main.ts'))
    .main(process.argv)
    .then((code) => process.exit(code));
}
