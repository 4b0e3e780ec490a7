import { CommandHandler, Projection, Query } from '@chronovisor/core';
import { ContainerModule } from 'inversify';
import { LoadHandler, StoreHandler } from './access-handlers';
import { CallocHandler, FreeHandler, MallocHandler, ReallocHandler } from './allocation-handlers';
import { Allocator } from './allocator';
import { HeapConfig } from './heap-options';
import { HeapQuery } from './heap-query';
import { HeapState } from './heap-state';

const HANDLERS = [
  MallocHandler,
  CallocHandler,
  ReallocHandler,
  FreeHandler,
  LoadHandler,
  StoreHandler,
];

/** Binds the heap's state, allocator, query and command handlers. */
export function heapModule(config: HeapConfig): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(HeapConfig).toConstantValue(config);
    bind(HeapState).toSelf().inSingletonScope();
    bind(Projection).toService(HeapState);
    bind(Allocator).toSelf().inSingletonScope();
    bind(HeapQuery).toSelf().inSingletonScope();
    bind(Query).toService(HeapQuery);
    for (const handler of HANDLERS) {
      bind(handler).toSelf().inSingletonScope();
      bind(CommandHandler).toService(handler);
    }
  });
}
