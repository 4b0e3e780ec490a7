import { SpaceState, type CommandContext } from '@chronovisor/core';
import { multiInject, optional } from 'inversify';
import { ProcError } from './proc-error';

/**
 * What other plugins keep about a process's space beyond its memory (its heap, its handle table:
 * core's `SpaceState`), as checkpoint, restore and migration carry it: taken by part name, and
 * given back to the plugin that keeps each part, by its restore command.
 */
export class CarriedState {
  constructor(
    @multiInject(SpaceState) @optional() private readonly parts: readonly SpaceState[] = [],
  ) {}

  /** Each part of `space`'s state that a plugin keeps, by part name; undefined if there is none. */
  capture(space: number): Record<string, unknown> | undefined {
    const captured: Record<string, unknown> = {};
    for (const part of this.parts) {
      const state = part.capture(space);
      if (state !== undefined) captured[part.name] = state;
    }
    return Object.keys(captured).length > 0 ? captured : undefined;
  }

  /**
   * Gives `space` each part of `captured`, by the restore command of the plugin that keeps it. A
   * part no plugin of the set keeps is refused, naming it: `holder` keeps it `of` something
   * (`Image web` … `pid 3`).
   */
  restore(
    space: number,
    captured: Readonly<Record<string, unknown>>,
    where: { readonly holder: string; readonly of: string },
    context: CommandContext,
  ): void {
    for (const [name, state] of Object.entries(captured)) {
      const keeper = this.parts.find((part) => part.name === name);
      if (!keeper)
        throw new ProcError(
          `${where.holder} keeps the ${name} state of ${where.of}, but no plugin of this set keeps ${name} state: add that plugin to restore it`,
        );
      context.call(keeper.restore, { space, state });
    }
  }

  /**
   * Gives `to` a copy of every part of `from`'s state: a migration, before the old space goes; a
   * fork inside a VM, after the parent's pages are copied.
   */
  copy(from: number, to: number, context: CommandContext): void {
    const captured = this.capture(from);
    if (captured)
      this.restore(to, captured, { holder: `Space ${from}`, of: 'its process' }, context);
  }
}
