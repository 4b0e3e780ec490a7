import { handle, type CommandHandlers, type SpaceState } from '@chronovisor/core';
import { MmuQuery } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { restoreState } from './handles-commands';
import { HandlesError } from './handles-error';
import {
  handlesStateData,
  stateRestored,
  type HandlesStateData,
  type StateRestored,
} from './handles-events';
import { HandlesConfig } from './handles-options';
import { HandlesState } from './handles-state';
import { checkTableData } from './table-data';

/**
 * A space's handle table travels with its process: a checkpoint keeps its pages (their addresses,
 * the table code), every slot it has handed out (identifier, issue count, object), its free list
 * in order and its counters, with the objects its slots name (type, name, origin). A restore gives
 * it to the process's new space, whose memory (the table's pages) came back first: every handle
 * the process holds names the same object, a closed or stale one is refused as before, and the
 * next handle is the one it would have got.
 *
 * Objects are the machine's, counted by their handles. A slot's object comes back as the same
 * object where that object still lives in this run (one more handle names it, as after fork);
 * otherwise a new object of the same type and name is made for it, with the next id, and every
 * slot that named the old one names it, as CRIU recreates a file description. An object is known
 * by its origin (its first id and the seq of the event that made it), so an image from another
 * run never takes this run's object 3 for its own; the processes of one restore that named one
 * gone object share the one made for it.
 */
export class HandlesSpaceState implements SpaceState {
  readonly name = 'handles';
  readonly restore = restoreState;

  constructor(@inject(HandlesState) private readonly state: HandlesState) {}

  capture(space: number): unknown {
    return this.state.dataOf(space);
  }
}

/** `handles.restore-state`: the state checked (it may come from a file), then `handles.state.restored`. */
export class RestoreStateCommands implements CommandHandlers {
  constructor(
    @inject(HandlesState) private readonly state: HandlesState,
    @inject(HandlesConfig) private readonly config: HandlesConfig,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  readonly handlers = [
    handle(restoreState, ({ space, state }, context) => {
      const parsed = handlesStateData.safeParse(state);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new HandlesError(
          `The handle state for space ${space} does not fit: ${issue.path.join('.') || 'the state'}: ${issue.message}`,
        );
      }
      const data = parsed.data;
      this.checkSpace(space, data);
      const objects = this.objectsOf(space, data);
      const renamed = new Map(objects.map((o) => [o.from, o.object]));
      const slots = data.table.slots.map((slot) =>
        slot.object === undefined ? slot : { ...slot, object: renamed.get(slot.object)! },
      );
      context.emit(stateRestored, { space, table: { ...data.table, slots }, objects });
    }),
  ];

  /** The space can take the table: it exists, has none, has this layout, and maps its pages. */
  private checkSpace(space: number, data: HandlesStateData): void {
    const known = this.mmu.spaces().find((s) => s.id === space);
    if (!known)
      throw new HandlesError(`There is no address space ${space} to restore a handle table into`);
    if (this.state.table(space))
      throw new HandlesError(
        `Space ${space} has a handle table already: a table is restored into a new space`,
      );
    const { layout } = this.state;
    const here = {
      base: layout.base,
      pageSize: layout.pageSize,
      leafEntries: layout.leafEntries,
      pointersPerTable: layout.pointersPerTable,
      maxLevels: layout.maxLevels,
      indexBits: this.config.indexBits,
      identifierBits: this.config.identifierBits,
    };
    for (const key of Object.keys(here) as (keyof typeof here)[])
      if (data.layout[key] !== here[key])
        throw new HandlesError(
          `The handle state for space ${space} was made with ${key} ${data.layout[key]}; this run's handle tables have ${here[key]}: restore it where the handles plugin has the same options`,
        );
    const ids = new Set<number>();
    for (const { object } of data.objects) {
      if (ids.has(object))
        throw new HandlesError(`The handle state for space ${space} lists object ${object} twice`);
      ids.add(object);
    }
    checkTableData(space, layout, data.table, ids);
    for (const { table } of data.table.tables)
      if (this.mmu.physicalAddress(space, table) === undefined)
        throw new HandlesError(
          `The handle table's page 0x${table.toString(16)} is not mapped in space ${space}: restore its memory first`,
        );
  }

  /**
   * Each object of the state as this run has it: the same object where it lives on (its origin's,
   * of the same type and name), else one made for it with the next id.
   */
  private objectsOf(space: number, data: HandlesStateData): StateRestored['objects'][number][] {
    const named = new Set<number>();
    for (const { object } of data.table.slots) if (object !== undefined) named.add(object);
    const origins = new Set<string>();
    let next = this.state.objects.made + 1;
    return data.objects.map(({ object: from, type, name, origin }) => {
      const refuse = (what: string): never => {
        throw new HandlesError(`The handle state for space ${space} ${what}`);
      };
      if (!named.has(from)) refuse(`lists object ${from}, which none of its slots names`);
      const key = `${origin.object}:${origin.born}`;
      if (origins.has(key))
        refuse(`lists two objects made as object ${origin.object} at seq ${origin.born}`);
      origins.add(key);
      const described = { type, ...(name === undefined ? {} : { name }), origin };
      const here = this.state.objectOf(origin);
      if (here !== undefined && this.state.objects.handlesOf(here) > 0) {
        const hereType = this.state.typeName(this.state.objects.typeOf(here));
        const hereName = this.state.nameOf(here);
        if (hereType !== type || hereName !== name)
          refuse(
            `has object ${from} be a ${type}${name === undefined ? '' : ` named ${name}`}, but the object it was made as is a ${hereType}${hereName === undefined ? '' : ` named ${hereName}`}`,
          );
        return { object: here, from, ...described, made: false };
      }
      return { object: next++, from, ...described, made: true };
    });
  }
}
