import type { CommandContext } from '@chronovisor/core';
import { inject } from 'inversify';
import { checkHandle, type GoodHandle } from './check-handle';
import type { HandleRefusal } from './handles-commands';
import { handleRejected, type HandleOperation } from './handles-events';
import { HandlesState } from './handles-state';

/** Checks the handles commands are given, recording each refusal. */
export class HandleChecks {
  constructor(@inject(HandlesState) private readonly state: HandlesState) {}

  /**
   * The handle's slot and object if it is good (and names a `type` object, if one is expected);
   * else the refusal, recorded as `handles.handle.rejected`.
   */
  check(
    op: HandleOperation,
    space: number,
    handle: number,
    context: CommandContext,
    expected?: string,
  ): GoodHandle | HandleRefusal {
    const checked = checkHandle(this.state.table(space), this.state.layout, handle);
    if (!checked.ok)
      return {
        ok: false,
        rejection: context.emit(handleRejected, { space, op, ...checked.bad }).data,
      };
    if (expected !== undefined) {
      const type = this.state.typeName(checked.type);
      if (type !== expected) {
        const { index, identifier, at, object } = checked;
        const entry = { at, identifier, object };
        const data = {
          space,
          op,
          handle,
          reason: 'wrong-type' as const,
          index,
          identifier,
          entry,
          expected,
          type,
        };
        return { ok: false, rejection: context.emit(handleRejected, data).data };
      }
    }
    return checked;
  }
}
