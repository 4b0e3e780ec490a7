// A plugin for the CLI's bad-input tests: it declares a command outside its own prefix.
const { definePlugin, defineCommand, handle } = require('@chronovisor/core');
const { z } = require('zod');

const poke = defineCommand('other.poke', { args: z.object({}) });

class Handlers {
  handlers = [handle(poke, () => undefined)];
}

module.exports = definePlugin({
  package: { name: '@test/stray', version: '1.0.0' },
  commands: [poke],
  handlers: [Handlers],
});
