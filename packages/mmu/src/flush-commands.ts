import { handle, type CommandHandlers } from '@chronovisor/core';
import { inject } from 'inversify';
import { flush } from './mmu-commands';
import { tlbFlushed } from './mmu-events';
import { MmuState } from './mmu-state';

/** `mmu.flush`: empties one space's TLB, or every TLB. */
export class FlushCommands implements CommandHandlers {
  constructor(@inject(MmuState) private readonly state: MmuState) {}

  readonly handlers = [
    handle(flush, ({ space }, context) => {
      if (space === undefined) {
        context.emit(tlbFlushed, {});
        return;
      }
      this.state.space(space);
      context.emit(tlbFlushed, { space });
    }),
  ];
}
