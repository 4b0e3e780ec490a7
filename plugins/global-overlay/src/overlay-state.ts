import { digestOf, on, type Projection } from '@chronovisor/core';
import {
  globalWritten,
  programCreated,
  segmentGrown,
  versionLoaded,
  versionRetired,
  type BoundGlobal,
} from './overlay-events';

/** An allocation in the shared data segment: one global's bytes, and the versions bound to it. */
export interface Slot {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly offset: number;
  readonly users: readonly string[];
}

/** A live version: its process, its segment's base, its globals by name → slot. */
export interface Version {
  readonly version: string;
  readonly space: number;
  readonly base: number;
  readonly globals: ReadonlyMap<string, BoundGlobal>;
  /** Slots written since it loaded (by any version): what a rollback to the others keeps. */
  readonly writtenSince: ReadonlySet<number>;
  readonly order: number;
}

/** A program: its shared data segment and its live versions. */
export interface Program {
  readonly program: string;
  readonly partition: string;
  readonly store: number;
  readonly va: number;
  readonly pages: number;
  readonly slots: ReadonlyMap<number, Slot>;
  readonly versions: ReadonlyMap<string, Version>;
  /** Byte ranges freed by retirements, reused first. */
  readonly free: readonly (readonly [offset: number, size: number])[];
  /** One past the last byte ever allocated. */
  readonly end: number;
  readonly loaded: number;
}

/** Programs, their shared data segments and versions: the plugin's projection (immutable records). */
export class OverlayState implements Projection<ReadonlyMap<string, Program>> {
  readonly name = 'global-overlay';
  private programs = new Map<string, Program>();

  readonly listeners = [
    on(programCreated, ({ data }) =>
      this.put({
        ...data,
        pages: 0,
        slots: new Map(),
        versions: new Map(),
        free: [],
        end: 0,
        loaded: 0,
      }),
    ),
    on(segmentGrown, ({ data }) => this.put({ ...this.live(data.program), pages: data.pages })),
    on(versionLoaded, ({ data }) => {
      const p = this.live(data.program);
      const slots = new Map(p.slots);
      let free = p.free;
      let end = p.end;
      for (const g of data.globals) {
        const known = slots.get(g.slot);
        if (known) slots.set(g.slot, { ...known, users: [...known.users, data.version] });
        else {
          slots.set(g.slot, {
            id: g.slot,
            name: g.name,
            type: g.type,
            size: g.size,
            offset: g.offset,
            users: [data.version],
          });
          free = take(free, g.offset, g.size);
          end = Math.max(end, g.offset + g.size);
        }
      }
      const version: Version = {
        version: data.version,
        space: data.space,
        base: data.base,
        globals: new Map(data.globals.map((g) => [g.name, g])),
        writtenSince: new Set(),
        order: p.loaded,
      };
      this.put({
        ...p,
        slots,
        free,
        end,
        versions: new Map(p.versions).set(data.version, version),
        loaded: p.loaded + 1,
      });
    }),
    on(globalWritten, ({ data }) => {
      const p = this.live(data.program);
      const versions = new Map<string, Version>();
      for (const [name, v] of p.versions)
        versions.set(
          name,
          v.writtenSince.has(data.slot)
            ? v
            : { ...v, writtenSince: new Set(v.writtenSince).add(data.slot) },
        );
      this.put({ ...p, versions });
    }),
    on(versionRetired, ({ data }) => {
      const p = this.live(data.program);
      const retired = p.versions.get(data.version)!;
      const slots = new Map(p.slots);
      const free = [...p.free];
      for (const g of retired.globals.values()) {
        const slot = slots.get(g.slot)!;
        const users = slot.users.filter((u) => u !== data.version);
        if (users.length > 0) slots.set(g.slot, { ...slot, users });
        else {
          slots.delete(g.slot);
          free.push([slot.offset, slot.size]);
        }
      }
      const versions = new Map(p.versions);
      versions.delete(data.version);
      this.put({ ...p, slots, versions, free: free.sort((a, b) => a[0] - b[0]) });
    }),
  ];

  program(name: string): Program | undefined {
    return this.programs.get(name);
  }

  allPrograms(): Program[] {
    return [...this.programs.values()].sort((a, b) => (a.program < b.program ? -1 : 1));
  }

  snapshot(): ReadonlyMap<string, Program> {
    return this.programs;
  }

  restore(snapshot: ReadonlyMap<string, Program>): void {
    this.programs = snapshot as Map<string, Program>;
  }

  digest(): string {
    return digestOf(
      this.allPrograms().map((p) => ({
        ...p,
        slots: [...p.slots.values()].sort((a, b) => a.id - b.id),
        versions: [...p.versions.values()]
          .sort((a, b) => a.order - b.order)
          .map((v) => ({
            ...v,
            globals: [...v.globals.values()],
            writtenSince: [...v.writtenSince].sort((a, b) => a - b),
          })),
      })),
    );
  }

  private put(p: Program): void {
    this.programs = new Map(this.programs).set(p.program, p);
  }

  private live(name: string): Program {
    const p = this.programs.get(name);
    if (!p) throw new Error(`Program ${name} is not known: its overlay.program.created is missing`);
    return p;
  }
}

/** The free ranges with [offset, offset + size) taken out. */
function take(
  free: readonly (readonly [number, number])[],
  offset: number,
  size: number,
): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  for (const [at, length] of free) {
    const end = at + length;
    if (offset >= end || offset + size <= at) {
      out.push([at, length]);
      continue;
    }
    if (offset > at) out.push([at, offset - at]);
    if (offset + size < end) out.push([offset + size, end - offset - size]);
  }
  return out;
}
