import {
  defineCommand,
  defineEvent,
  definePlugin,
  digestOf,
  handle,
  on,
  type CommandHandlers,
  type Projection,
} from '@chronovisor/core';
import { z } from 'zod';

/**
 * The most trivial pipeline there is: `bench.tick` (no arguments to check) emits one
 * `bench.clock.ticked`, and a projection counts them. It measures the kernel alone.
 */
export const tick = defineCommand('bench.tick', { args: z.null() });
export const ticked = defineEvent('bench.clock.ticked', { data: z.null() });

class Ticks implements Projection<number> {
  readonly name = 'bench';
  count = 0;
  readonly listeners = [on(ticked, () => this.count++)];
  snapshot(): number {
    return this.count;
  }
  restore(snapshot: number): void {
    this.count = snapshot;
  }
  digest(): string {
    return digestOf(this.count);
  }
}

class Tick implements CommandHandlers {
  readonly handlers = [handle(tick, (_args, context) => void context.emit(ticked, null))];
}

/** The plugin of the trivial pipeline: `bench.tick` → `bench.clock.ticked` → a counter. */
export const tickPlugin = definePlugin({
  package: { name: '@chronovisor/bench-tick', version: '1.0.0' },
  prefix: 'bench',
  commands: [tick],
  events: [ticked],
  projections: [Ticks],
  handlers: [Tick],
});
