import { parserFor, type CommandContext } from '@chronovisor/core';
import { injectFromBase, injectable } from 'inversify';
import { z } from 'zod';
import { spaceId } from './args';
import { MmuHandler } from './mmu-handler';

const flushArgs = z.object({ space: spaceId.optional() }).strict();

/** `mmu.flush`: empties one space's TLB, or every TLB. */
@injectable()
@injectFromBase({ extendConstructorArguments: true })
export class FlushHandler extends MmuHandler<z.output<typeof flushArgs>> {
  readonly type = 'mmu.flush';
  readonly description = "Flush `space`'s TLB, or every TLB when no space is given.";
  readonly parse = parserFor(flushArgs, `command ${this.type}`);

  execute({ space }: z.output<typeof flushArgs>, context: CommandContext): void {
    if (space === undefined) {
      context.emit('mmu.tlb.flushed', {});
      return;
    }
    this.state.space(space);
    context.emit('mmu.tlb.flushed', { space });
  }
}
