import { MultisetHash, digestOf, on, type Projection } from '@chronovisor/core';
import { MmuConfig, spaceDestroyed, spaceForked } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { HandleTable, type TableVersion } from './handle-table';
import {
  codePublished,
  handleClosed,
  handleCreated,
  handleRejected,
  handleResolved,
  stateRestored,
  tableAdded,
  tableInherited,
  type HandlesStateData,
  type RejectionReason,
  type StateRestored,
} from './handles-events';
import { HandlesError } from './handles-error';
import { HandlesConfig } from './handles-options';
import { HANDLES_PLUGIN } from './plugin-name';
import { ObjectTable, type ObjectsVersion } from './object-table';
import { SharedList, type SharedListVersion } from './shared-list';
import { tableBytes, tableFromData, tableToData } from './table-data';
import { tableLayout, type TableLayout } from './table-layout';

/**
 * What makes an object the same across checkpoints and runs: the id it was made with and the
 * seq of the event that made it. An object a restore made for a gone one keeps the gone one's.
 */
export interface ObjectOrigin {
  readonly object: number;
  readonly born: number;
}

const originKey = ({ object, born }: ObjectOrigin): string => `${object}:${born}`;

/** What a snapshot of the handle tables holds: O(tables) to take. */
export interface HandlesSnapshot {
  readonly tables: ReadonlyMap<number, TableVersion>;
  readonly objects: ObjectsVersion;
  readonly types: SharedListVersion<string>;
  readonly names: SharedListVersion<string | undefined>;
  readonly nameFacts: readonly [number, number];
  readonly rejections: Readonly<Partial<Record<RejectionReason, number>>>;
  readonly births: SharedListVersion<number>;
  readonly twinFacts: readonly [number, number];
  readonly twins: ReadonlyMap<number, ObjectOrigin>;
  readonly twinOf: ReadonlyMap<string, number>;
}

/**
 * Every space's handle table and the objects they name: the handles plugin's projection. Table
 * pages are copied on their first write after a snapshot (see {@link CowChunks}), so a snapshot
 * costs O(tables) and shares every page with the live state.
 */
export class HandlesState implements Projection<HandlesSnapshot> {
  readonly name = 'handles';

  private readonly tables = new Map<number, HandleTable>();
  readonly objects = new ObjectTable();
  /** Type names, numbered from 1 as entries hold them. */
  private readonly types = new SharedList<string>();
  private readonly typeNumbers = new Map<string, number>();
  /** Objects' names by id − 1 (undefined for an unnamed one). */
  private readonly names = new SharedList<string | undefined>();
  /** A hash of the objects' names, kept as they are given: an O(1) digest. */
  private readonly nameFacts = new MultisetHash();
  private rejections: Partial<Record<RejectionReason, number>> = {};
  /** Objects' births by id − 1: the seq of the event that made each. */
  private readonly births = new SharedList<number>();
  /** A hash of the twins' origins, kept as they are given: an O(1) digest. */
  private readonly twinFacts = new MultisetHash();
  /**
   * The objects restores made for gone ones, with the origin each stands for, and the last one
   * made for each origin. Replaced, never changed, so a snapshot holds them as they were.
   */
  private twins: ReadonlyMap<number, ObjectOrigin> = new Map();
  private twinOf: ReadonlyMap<string, number> = new Map();
  /** Bytes made by tables since dropped (destroyed spaces, restores). */
  private madeElsewhere = 0;

  /** The layout every table follows: options that do not fit the MMU are refused as the plugin set is built. */
  readonly layout: TableLayout;

  constructor(
    @inject(HandlesConfig) private readonly config: HandlesConfig,
    @inject(MmuConfig) mmu: MmuConfig,
  ) {
    try {
      this.layout = tableLayout(config, mmu.pageSize, mmu.vaLimit);
    } catch (error) {
      throw new HandlesError(
        `Options of plugin "${HANDLES_PLUGIN}" do not fit the MMU's: ${(error as Error).message}`,
      );
    }
  }

  readonly listeners = [
    on(tableAdded, ({ data }) => {
      let table = this.tables.get(data.space);
      if (!table) this.tables.set(data.space, (table = new HandleTable(data.space, this.layout)));
      table.addTable(data.role, data.table, data.parent, data.slot, data.child);
    }),
    on(codePublished, ({ data }) => this.live(data.space).publish(data.top, data.levels)),
    on(handleCreated, ({ data, seq }) => {
      const type = this.typeNumber(data.type);
      if (data.from === undefined) this.addObject(data.object, type, data.name, 1, seq);
      else this.objects.adjust(data.object, 1);
      const table = this.live(data.space);
      table.take(data.index, data.reused, data.object, type);
      if (data.wrapped) table.countWrap();
    }),
    on(handleClosed, ({ data }) => {
      this.live(data.space).release(data.index, data.next, this.config.reuse === 'lifo');
      this.objects.adjust(data.object, -1);
    }),
    on(handleResolved, ({ data }) => this.live(data.space).countResolve()),
    on(handleRejected, ({ data }) => {
      this.tables.get(data.space)?.countRejection();
      this.rejections = {
        ...this.rejections,
        [data.reason]: (this.rejections[data.reason] ?? 0) + 1,
      };
    }),
    // fork(2) copies the table with the memory, as `proc.fork` forks a process: the child holds
    // every handle at its value, one more handle to each object.
    on(spaceForked, ({ data }) => {
      const parent = this.tables.get(data.parent);
      if (parent) this.inherit(parent, data.child);
    }),
    // `handles.fork`'s record: the child inherited the table as its space was forked, just before
    // (a log recorded before forks carried tables has it inherit here).
    on(tableInherited, ({ data }) => {
      if (!this.tables.has(data.to)) this.inherit(this.live(data.from), data.to);
    }),
    on(stateRestored, ({ data, seq }) => this.applyRestored(data, seq)),
    on(spaceDestroyed, ({ data }) => {
      // A process that ends closes its handles, as NT's process rundown does.
      const table = this.tables.get(data.space);
      if (!table) return;
      for (const { object } of table.openSlots()) this.objects.adjust(object, -1);
      this.madeElsewhere += table.made;
      this.tables.delete(data.space);
    }),
  ];

  /** The space's table and the objects it names as plain data (what travels with its process). */
  dataOf(space: number): HandlesStateData | undefined {
    const table = this.tables.get(space);
    if (!table) return undefined;
    const { data, objects } = tableToData(table);
    const { base, pageSize, leafEntries, pointersPerTable, maxLevels } = this.layout;
    const { indexBits, identifierBits } = this.config;
    return {
      layout: {
        base,
        pageSize,
        leafEntries,
        pointersPerTable,
        maxLevels,
        indexBits,
        identifierBits,
      },
      table: data,
      objects: [...objects]
        .sort(([a], [b]) => a - b)
        .map(([object, type]) => {
          const name = this.nameOf(object);
          return {
            object,
            type: this.typeName(type),
            ...(name === undefined ? {} : { name }),
            origin: this.originOf(object),
          };
        }),
    };
  }

  /** The object's origin: its own id and birth, or, for one a restore made, what it stands for. */
  originOf(object: number): ObjectOrigin {
    return this.twins.get(object) ?? { object, born: this.births.at(object - 1)! };
  }

  /** The object of this run with `origin`, gone or not, if there is one. */
  objectOf(origin: ObjectOrigin): number | undefined {
    const twin = this.twinOf.get(originKey(origin));
    if (twin !== undefined) return twin;
    const { object, born } = origin;
    return object <= this.objects.made &&
      !this.twins.has(object) &&
      this.births.at(object - 1) === born
      ? object
      : undefined;
  }

  /** The space's table, if it has one. */
  table(space: number): HandleTable | undefined {
    return this.tables.get(space);
  }

  allTables(): IterableIterator<HandleTable> {
    return this.tables.values();
  }

  /** A type's name by its number in entries. */
  typeName(type: number): string {
    return this.types.at(type - 1)!;
  }

  /** An object's name, if it was given one. */
  nameOf(object: number): string | undefined {
    return this.names.at(object - 1);
  }

  /** Rejected handles by reason, over every space. */
  rejectionCounts(): Readonly<Partial<Record<RejectionReason, number>>> {
    return this.rejections;
  }

  snapshot(): HandlesSnapshot {
    const tables = new Map<number, TableVersion>();
    for (const [space, table] of this.tables) tables.set(space, table.capture());
    return {
      tables,
      objects: this.objects.capture(),
      types: this.types.capture(),
      names: this.names.capture(),
      nameFacts: this.nameFacts.value,
      rejections: this.rejections,
      births: this.births.capture(),
      twinFacts: this.twinFacts.value,
      twins: this.twins,
      twinOf: this.twinOf,
    };
  }

  restore(snapshot: HandlesSnapshot): void {
    for (const [space, table] of this.tables)
      if (!snapshot.tables.has(space)) {
        this.madeElsewhere += table.made;
        this.tables.delete(space);
      }
    for (const [space, version] of snapshot.tables) {
      const table = this.tables.get(space);
      if (table) table.reset(version);
      else this.tables.set(space, new HandleTable(space, this.layout, version));
    }
    this.objects.reset(snapshot.objects);
    this.types.reset(snapshot.types);
    this.typeNumbers.clear();
    this.types.toArray().forEach((name, i) => this.typeNumbers.set(name, i + 1));
    this.names.reset(snapshot.names);
    this.nameFacts.set(snapshot.nameFacts);
    this.rejections = snapshot.rejections;
    // A snapshot kept in a run file (chronovisor index) before tables travelled has none of these;
    // such a run holds no restore, the only reader of births.
    this.births.reset(snapshot.births ?? { items: [], length: 0 });
    this.twinFacts.set(snapshot.twinFacts ?? [0, 0]);
    this.twins = snapshot.twins ?? new Map();
    this.twinOf = snapshot.twinOf ?? new Map();
  }

  /** Each page a snapshot holds, counted once however many snapshots share it. */
  snapshotBytes(snapshots: readonly HandlesSnapshot[]): number {
    const seen = new Set<Float64Array>();
    let bytes = 0;
    const count = (chunks: readonly Float64Array[]): void => {
      for (const chunk of chunks)
        if (!seen.has(chunk)) {
          seen.add(chunk);
          bytes += chunk.byteLength;
        }
    };
    for (const snapshot of snapshots) {
      for (const version of snapshot.tables.values()) count(version.chunks);
      count(snapshot.objects.chunks);
    }
    return bytes;
  }

  allocatedBytes(): number {
    let made = this.madeElsewhere + this.objects.allocatedBytes;
    for (const table of this.tables.values()) made += table.made;
    return made;
  }

  /** Every table, the objects, their names and the type names: O(spaces + types). */
  digest(): string {
    const tables = [...this.tables.values()].sort((a, b) => a.space - b.space);
    return digestOf([
      tables.map((t) => t.digestInput()),
      this.objects.digestInput(),
      this.types.toArray(),
      this.nameFacts.value,
      this.rejections,
      // Births follow from the log's own creates; only what restores made is state of its own
      // (and a run without restores keeps the digest it had before tables travelled).
      ...(this.twins.size > 0 ? [this.twinFacts.value] : []),
    ]);
  }

  /** A new object with `handles` handles, made by the event at `seq`. */
  private addObject(
    object: number,
    type: number,
    name: string | undefined,
    handles: number,
    seq: number,
  ): void {
    this.objects.add(object, type);
    if (handles !== 1) this.objects.adjust(object, handles - 1);
    this.names.push(name);
    if (name !== undefined) this.nameFacts.toggle(1, object, stringHash(name));
    this.births.push(seq);
  }

  /** `to`, a fork of `from`'s space, holds every handle of its table at its value. */
  private inherit(from: HandleTable, to: number): void {
    const child = from.forkInto(to);
    this.tables.set(to, child);
    for (const { object } of child.openSlots()) this.objects.adjust(object, 1);
  }

  /** A restored space's table: its objects taken or made, then the table rebuilt over them. */
  private applyRestored({ space, table, objects }: StateRestored, seq: number): void {
    const handles = new Map<number, number>();
    for (const { object } of table.slots)
      if (object !== undefined) handles.set(object, (handles.get(object) ?? 0) + 1);
    const types = new Map<number, number>();
    const twins = new Map(this.twins);
    const twinOf = new Map(this.twinOf);
    for (const { object, type: typeName, name, origin, made } of objects) {
      const type = this.typeNumber(typeName);
      types.set(object, type);
      if (!made) {
        this.objects.adjust(object, handles.get(object)!);
        continue;
      }
      this.addObject(object, type, name, handles.get(object)!, seq);
      this.twinFacts.toggle(1, object, origin.object, origin.born);
      twins.set(object, origin);
      twinOf.set(originKey(origin), object);
    }
    if (twins.size !== this.twins.size) [this.twins, this.twinOf] = [twins, twinOf];
    this.madeElsewhere += tableBytes(this.layout, table);
    this.tables.set(
      space,
      tableFromData(space, this.layout, table, (o) => types.get(o)!),
    );
  }

  private live(space: number): HandleTable {
    const table = this.tables.get(space);
    if (!table)
      throw new Error(`Space ${space} has no handle table: its handles.table.added is missing`);
    return table;
  }

  private typeNumber(name: string): number {
    let type = this.typeNumbers.get(name);
    if (type === undefined) {
      type = this.types.push(name) + 1;
      this.typeNumbers.set(name, type);
    }
    return type;
  }
}

/** FNV-1a over a string's UTF-16 units: a name as a number for the names' hash. */
function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
