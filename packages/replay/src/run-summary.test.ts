import {
  MemoryStore,
  Simulation,
  defineCommand,
  defineEvent,
  definePlugin,
  handle,
  type CommandHandlers,
} from '@chronovisor/core';
import { z } from 'zod';
import { summarizeRun } from './run-summary';

// Names that a substring match would misread: a restore that is no fault, a fault named otherwise.
const restored = defineEvent('checkpoint.default.restored', { data: z.object({}) });
const trapped = defineEvent('checkpoint.page.trapped', { data: z.object({}), marks: 'fault' });
const breached = defineEvent('checkpoint.seal.broken', { data: z.object({}), marks: 'violation' });
const act = defineCommand('checkpoint.act', { args: z.object({}) });

class Acts implements CommandHandlers {
  readonly handlers = [
    handle(act, (_args, context) => {
      context.emit(restored, {});
      context.emit(trapped, {});
      context.emit(breached, {});
      context.emit(breached, {});
    }),
  ];
}

const plugin = definePlugin({
  package: { name: '@test/checkpoint', version: '1.0.0' },
  commands: [act],
  events: [restored, trapped, breached],
  handlers: [Acts],
});

describe('summarizeRun', () => {
  it('counts faults and violations as the events’ declarations mark them, not by their names', () => {
    const store = new MemoryStore();
    const sim = new Simulation({ plugins: [plugin()], store });
    sim.dispatch(act, {});
    sim.dispatch('checkpoint.act', { unexpected: 1 });
    sim.close();
    expect(summarizeRun(store, sim.eventTypes)).toMatchObject({
      records: 6,
      commands: 2,
      events: 4,
      faults: 1,
      violations: 2,
      rejections: 1,
    });
  });
});
