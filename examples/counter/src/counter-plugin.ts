import { definePlugin, parserFor, type Plugin } from '@chronovisor/core';
import { COUNTER_EVENTS } from './counter-events';
import { counterModule } from './counter-module';
import { counterOptionsSchema, type CounterOptions } from './counter-options';

/** Named counters: the smallest complete plugin, walked through in docs/writing-a-plugin.md. */
export function counterPlugin(options: CounterOptions = {}): Plugin {
  const name = '@chronovisor/example-counter';
  return definePlugin({
    manifest: {
      name,
      version: '1.0.0',
      description: 'Named counters that can be incremented, rolled like dice, and reset.',
    },
    events: COUNTER_EVENTS,
    module: counterModule(
      parserFor(counterOptionsSchema, `options of plugin "${name}"`, 'options')(options),
    ),
  });
}
