import {
  CommandHandler,
  Projection,
  definePlugin,
  digestOf,
  type CommandContext,
  type EventRecord,
  type Plugin,
} from '@chronovisor/core';
import { ContainerModule, inject, injectable } from 'inversify';

@injectable()
class Total implements Projection<number> {
  readonly name = 'tally';
  readonly eventTypes = ['tally.total.changed'];
  total = 0;
  apply(event: EventRecord): void {
    this.total = (event.data as { total: number }).total;
  }
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
  @injectable()
  class Add implements CommandHandler<{ n: number }> {
    readonly type = 'tally.add';
    constructor(@inject(Total) private readonly tally: Total) {}
    parse(args: unknown): { n: number } {
      return args as { n: number };
    }
    execute({ n }: { n: number }, context: CommandContext): void {
      const by = variant === 'doubling' && n >= 50 ? 2 * n : n;
      context.emit('tally.total.changed', { by, total: this.tally.total + by });
    }
  }
  return definePlugin({
    manifest: { name: '@test/tally', version: variant === 'plain' ? '1.0.0' : '1.1.0' },
    events: [{ type: 'tally.total.changed' }],
    module: new ContainerModule(({ bind }) => {
      bind(Total).toSelf().inSingletonScope();
      bind(Projection).toService(Total);
      bind(CommandHandler).to(Add).inSingletonScope();
    }),
  });
}
