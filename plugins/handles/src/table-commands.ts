import { handle, type CommandContext, type CommandHandlers } from '@chronovisor/core';
import { fork as forkSpace } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { HandleChecks } from './handle-checks';
import { IDENTIFIER, ISSUES, type HandleTable } from './handle-table';
import {
  close,
  create,
  duplicate,
  fork,
  resolve,
  type CloseOutcome,
  type DuplicateOutcome,
  type ResolveOutcome,
} from './handles-commands';
import {
  handleClosed,
  handleCreated,
  handleResolved,
  tableInherited,
  type HandleCreated,
} from './handles-events';
import { HandlesState } from './handles-state';
import { handleOf } from './table-layout';
import { TableBuilder } from './table-builder';

/** `handles.create`, `duplicate`, `close`, `resolve` and `fork`: the handle table's operations. */
export class TableCommands implements CommandHandlers {
  constructor(
    @inject(HandlesState) private readonly state: HandlesState,
    @inject(TableBuilder) private readonly builder: TableBuilder,
    @inject(HandleChecks) private readonly checks: HandleChecks,
  ) {}

  readonly handlers = [
    handle(create, ({ space, type, name }, context) => {
      const object = this.state.objects.made + 1;
      return this.issue(space, object, type, context, name === undefined ? {} : { name });
    }),

    handle(duplicate, ({ space, handle, to = space }, context): DuplicateOutcome => {
      const source = this.checks.check('duplicate', space, handle, context);
      if (!source.ok) return source;
      const type = this.state.typeName(source.type);
      return {
        ok: true,
        handle: this.issue(to, source.object, type, context, { from: { space, handle } }),
      };
    }),

    handle(close, ({ space, handle }, context): CloseOutcome => {
      const good = this.checks.check('close', space, handle, context);
      if (!good.ok) return good;
      const { index, at, object, identifier } = good;
      const next = (identifier + 1) % this.state.layout.identifiers;
      const last = this.state.objects.handlesOf(object) === 1;
      context.emit(handleClosed, { space, handle, index, at, object, next, last });
      return { ok: true };
    }),

    handle(resolve, ({ space, handle, type }, context): ResolveOutcome => {
      const good = this.checks.check('resolve', space, handle, context, type);
      if (!good.ok) return good;
      const name = this.state.typeName(good.type);
      context.emit(handleResolved, { space, handle, at: good.at, object: good.object, type: name });
      return { ok: true, object: good.object, type: name };
    }),

    handle(fork, ({ space }, context) => {
      const child = context.call(forkSpace, { space });
      const table = this.state.table(space);
      if (table)
        context.emit(tableInherited, {
          from: space,
          to: child,
          handles: table.open,
          code: table.code,
        });
      return child;
    }),
  ];

  /** Hands out a handle to `object` in `space`'s table: a slot by the reuse policy, its identifier. */
  private issue(
    space: number,
    object: number,
    type: string,
    context: CommandContext,
    extra: Pick<HandleCreated, 'name' | 'from'>,
  ): number {
    const table: HandleTable = this.builder.tableOf(space, context);
    const { index, reused } = this.builder.slotFor(table, context);
    const { words, offset, at } = table.entry(index);
    const identifier = words[offset + IDENTIFIER]!;
    const handle = handleOf(this.state.layout, index, identifier);
    const wrapped = words[offset + ISSUES]! >= this.state.layout.identifiers;
    context.emit(handleCreated, {
      space,
      handle,
      index,
      identifier,
      at,
      object,
      type,
      ...extra,
      reused,
      wrapped,
    });
    return handle;
  }
}
