import { CommandHandler, Projection, Query, Reactor } from '@chronovisor/core';
import { ContainerModule } from 'inversify';
import { CounterOptions } from './counter-options';
import { CounterState } from './counter-state';
import { IncrementHandler } from './increment-handler';
import { ResetHandler } from './reset-handler';
import { RollHandler } from './roll-handler';
import { WrapReactor } from './wrap-reactor';

/** Binds the counter plugin's contributions to the kernel's tokens. */
export function counterModule(options: CounterOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CounterOptions).toConstantValue(options);

    bind(CounterState).toSelf().inSingletonScope();
    bind(Projection).toService(CounterState);
    bind(Query).toService(CounterState);

    for (const handler of [IncrementHandler, RollHandler, ResetHandler]) {
      bind(handler).toSelf().inSingletonScope();
      bind(CommandHandler).toService(handler);
    }

    bind(WrapReactor).toSelf().inSingletonScope();
    bind(Reactor).toService(WrapReactor);
  });
}
