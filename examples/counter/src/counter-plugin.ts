import { definePlugin, packageOf } from '@chronovisor/core';
import { CounterOptions, incremented, increment, reset, roll, wasReset } from './counter-contract';
import { CounterCommands, WrapReactor } from './counter-handlers';
import { CounterState } from './counter-state';

/** Named counters: the smallest complete plugin, walked through in docs/writing-a-plugin.md. */
export const counterPlugin = definePlugin({
  package: packageOf(__dirname),
  options: CounterOptions,
  commands: [increment, roll, reset],
  events: [incremented, wasReset],
  projections: [CounterState],
  queries: [CounterState],
  handlers: [CounterCommands],
  reactors: [WrapReactor],
});
