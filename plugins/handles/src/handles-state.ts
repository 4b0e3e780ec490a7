import { MultisetHash, digestOf, on, type Projection } from '@chronovisor/core';
import { MmuConfig, spaceDestroyed } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { HandleTable, type TableVersion } from './handle-table';
import {
  codePublished,
  handleClosed,
  handleCreated,
  handleRejected,
  handleResolved,
  tableAdded,
  tableInherited,
  type RejectionReason,
} from './handles-events';
import { HandlesError } from './handles-error';
import { HandlesConfig } from './handles-options';
import { HANDLES_PLUGIN } from './plugin-name';
import { ObjectTable, type ObjectsVersion } from './object-table';
import { SharedList, type SharedListVersion } from './shared-list';
import { tableLayout, type TableLayout } from './table-layout';

/** What a snapshot of the handle tables holds: O(tables) to take. */
export interface HandlesSnapshot {
  readonly tables: ReadonlyMap<number, TableVersion>;
  readonly objects: ObjectsVersion;
  readonly types: SharedListVersion<string>;
  readonly names: SharedListVersion<string | undefined>;
  readonly nameFacts: readonly [number, number];
  readonly rejections: Readonly<Partial<Record<RejectionReason, number>>>;
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
    on(handleCreated, ({ data }) => {
      const type = this.typeNumber(data.type);
      if (data.from === undefined) {
        this.objects.add(data.object, type);
        this.names.push(data.name);
        if (data.name !== undefined) this.nameFacts.toggle(1, data.object, stringHash(data.name));
      } else this.objects.adjust(data.object, 1);
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
    on(tableInherited, ({ data }) => {
      const child = this.live(data.from).forkInto(data.to);
      this.tables.set(data.to, child);
      for (const { object } of child.openSlots()) this.objects.adjust(object, 1);
    }),
    on(spaceDestroyed, ({ data }) => {
      // A process that ends closes its handles, as NT's process rundown does.
      const table = this.tables.get(data.space);
      if (!table) return;
      for (const { object } of table.openSlots()) this.objects.adjust(object, -1);
      this.madeElsewhere += table.made;
      this.tables.delete(data.space);
    }),
  ];

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
    ]);
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
