// A plugin for the CLI's bad-input tests: it requires a plugin no config provides.
const { definePlugin } = require('@chronovisor/core');

module.exports = definePlugin({
  package: { name: '@test/needy', version: '1.0.0' },
  requires: { '@chronovisor/plugin-heap': '^1.0.0' },
});
