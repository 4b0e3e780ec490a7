import { CommandHandler, Projection, Query } from '@chronovisor/core';
import { ContainerModule } from 'inversify';
import { ReadHandler, WriteHandler } from './access-handlers';
import {
  ExportHandler,
  MarkHandler,
  LoadHandler,
  MapHandler,
  ProtectHandler,
  RemapHandler,
  ShareHandler,
  UnmapHandler,
} from './mapping-handlers';
import { FlushHandler } from './flush-handler';
import { MmuConfig } from './mmu-config';
import { MmuQuery } from './mmu-query';
import { MmuState } from './mmu-state';
import {
  CreatePartitionHandler,
  CreateSpaceHandler,
  DestroySpaceHandler,
  ForkHandler,
} from './space-handlers';

const HANDLERS = [
  CreatePartitionHandler,
  CreateSpaceHandler,
  DestroySpaceHandler,
  ForkHandler,
  MapHandler,
  UnmapHandler,
  ProtectHandler,
  ShareHandler,
  RemapHandler,
  ExportHandler,
  LoadHandler,
  MarkHandler,
  ReadHandler,
  WriteHandler,
  FlushHandler,
];

/** Binds the MMU's state, query and command handlers. */
export function mmuModule(config: MmuConfig): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MmuConfig).toConstantValue(config);
    bind(MmuState).toSelf().inSingletonScope();
    bind(Projection).toService(MmuState);
    bind(MmuQuery).toSelf().inSingletonScope();
    bind(Query).toService(MmuQuery);
    for (const handler of HANDLERS) {
      bind(handler).toSelf().inSingletonScope();
      bind(CommandHandler).toService(handler);
    }
  });
}
