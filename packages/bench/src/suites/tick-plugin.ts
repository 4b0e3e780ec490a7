import {
  CommandHandler,
  Projection,
  definePlugin,
  digestOf,
  type CommandContext,
  type Plugin,
} from '@chronovisor/core';
import { ContainerModule, injectable } from 'inversify';

/**
 * The most trivial pipeline there is: `bench.tick` (no arguments to check) emits one
 * `bench.clock.ticked`, and a projection counts them. It measures the kernel alone.
 */
@injectable()
class Ticks implements Projection<number> {
  readonly name = 'bench';
  readonly eventTypes = ['bench.clock.ticked'];
  count = 0;
  apply(): void {
    this.count++;
  }
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

@injectable()
class Tick implements CommandHandler<null> {
  readonly type = 'bench.tick';
  parse(): null {
    return null;
  }
  execute(_args: null, context: CommandContext): void {
    context.emit('bench.clock.ticked', null);
  }
}

/** The plugin of the trivial pipeline: `bench.tick` → `bench.clock.ticked` → a counter. */
export function tickPlugin(): Plugin {
  return definePlugin({
    manifest: { name: '@chronovisor/bench-tick', version: '1.0.0' },
    events: [{ type: 'bench.clock.ticked' }],
    module: new ContainerModule(({ bind }) => {
      bind(Ticks).toSelf().inSingletonScope();
      bind(Projection).toService(Ticks);
      bind(Tick).toSelf().inSingletonScope();
      bind(CommandHandler).toService(Tick);
    }),
  });
}
