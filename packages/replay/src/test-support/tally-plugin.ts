import {
  defineCommand,
  defineEvent,
  definePlugin,
  digestOf,
  handle,
  on,
  type CommandHandlers,
  type Plugin,
  type Projection,
} from '@chronovisor/core';
import { inject } from 'inversify';
import { z } from 'zod';

export const add = defineCommand('tally.add', { args: z.object({ n: z.number() }) });
export const totalChanged = defineEvent('tally.total.changed', {
  data: z.object({ by: z.number(), total: z.number() }),
});

class Total implements Projection<number> {
  readonly name = 'tally';
  total = 0;
  readonly listeners = [on(totalChanged, ({ data }) => (this.total = data.total))];
  snapshot(): number {
    return this.total;
  }
  restore(snapshot: number): void {
    this.total = snapshot;
  }
  digest(): string {
    return digestOf(this.total);
  }
}

/**
 * A running total, for re-execution tests: `tally.add {n}` emits `tally.total.changed`. The
 * `doubling` variant is the "intentionally different handler": it adds 2n when n ≥ 50.
 */
export function tallyPlugin(variant: 'plain' | 'doubling' = 'plain'): Plugin {
  class Add implements CommandHandlers {
    constructor(@inject(Total) private readonly tally: Total) {}
    readonly handlers = [
      handle(add, ({ n }, context) => {
        const by = variant === 'doubling' && n >= 50 ? 2 * n : n;
        context.emit(totalChanged, { by, total: this.tally.total + by });
      }),
    ];
  }
  return definePlugin({
    package: { name: '@test/tally', version: variant === 'plain' ? '1.0.0' : '1.1.0' },
    commands: [add],
    events: [totalChanged],
    projections: [Total],
    handlers: [Add],
  })();
}
