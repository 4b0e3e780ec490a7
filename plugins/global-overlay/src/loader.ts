import type { ArgsOf, CommandContext } from '@chronovisor/core';
import { MmuQuery, createSpace, map, share, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import type { load } from './overlay-commands';
import { OverlayError } from './overlay-error';
import { OverlayConfig } from './overlay-options';
import { programCreated, segmentGrown, versionLoaded, type BoundGlobal } from './overlay-events';
import { OverlayState, type Program } from './overlay-state';

/** Where the shared data segment lies in its store. */
const SEGMENT_VA = 0x1000_0000;

type LoadArgs = ArgsOf<typeof load>;

/**
 * Loads a version as US10528479B2 claims: the program's globals live in one shared data segment
 * in physical memory; each version gets its own global segment (a logical range in its process)
 * bound to it. A global another live version has with the same type and size is common: the same
 * physical bytes. An added one gets new bytes. One whose type or size changed gets new bytes
 * initialized by its transformer, or the load is refused naming every such conflict. Globals a
 * version drops stay for the versions that have them.
 */
export class Loader {
  constructor(
    @inject(OverlayState) private readonly state: OverlayState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
    @inject(OverlayConfig) private readonly config: OverlayConfig,
  ) {}

  load(args: LoadArgs, context: CommandContext): { space: number; base: number } {
    const { program, version, partition } = args;
    let p = this.state.program(program);
    if (p?.versions.has(version))
      throw new OverlayError(`Version ${version} of ${program} is loaded already`);
    const names = new Set<string>();
    for (const g of args.globals) {
      if (names.has(g.name))
        throw new OverlayError(`Version ${version} declares global ${g.name} twice`);
      names.add(g.name);
      if (g.initial && g.initial.length > g.size)
        throw new OverlayError(
          `Global ${g.name}'s initial value has ${g.initial.length} bytes; it is ${g.size} bytes`,
        );
    }
    const bound = p ? this.bind(p, args) : undefined;
    if (!p) {
      const store = context.call(createSpace, { kind: 'host', partition });
      context.emit(programCreated, { program, partition, store, va: SEGMENT_VA });
      p = this.state.program(program)!;
    }
    const globals =
      bound ??
      this.allocate(
        p,
        args.globals.map((g) => ({ ...g, binding: 'added' as const })),
      );
    this.grow(p, globals, context);
    p = this.state.program(program)!;
    // Initial values: added globals their declared bytes, transformed ones their carried-over value.
    for (const g of globals)
      if (g.binding !== 'common') {
        const data =
          g.binding === 'added'
            ? args.globals.find((d) => d.name === g.name)!.initial
            : this.transformed(p, g, args);
        context.call(write, { space: p.store, va: p.va + g.offset, data: pad(data, g.size) });
      }
    const space = context.call(createSpace, { kind: 'host', partition });
    // Each version its own logical range, whichever process runs it.
    const base = this.config.versionBase + p.loaded * this.config.versionStride;
    if (p.pages > 0)
      context.call(share, {
        from: p.store,
        va: p.va,
        pages: p.pages,
        to: space,
        toVa: base,
        perms: 'rw-',
      });
    context.emit(versionLoaded, { program, version, space, base, globals });
    return { space, base };
  }

  /** Each declared global bound against the live versions, or the conflicts refused. */
  private bind(p: Program, args: LoadArgs): BoundGlobal[] {
    const bound: BoundGlobal[] = [];
    const pending: (LoadArgs['globals'][number] & { binding: 'added' | 'transformed' })[] = [];
    const conflicts: string[] = [];
    for (const g of args.globals) {
      const had = boundBefore(p, g.name);
      if (!had) pending.push({ ...g, binding: 'added' });
      else if (had.type === g.type && had.size === g.size)
        bound.push({
          name: g.name,
          type: g.type,
          size: g.size,
          offset: had.offset,
          binding: 'common',
          slot: had.slot,
        });
      else if (args.transformers[g.name]) pending.push({ ...g, binding: 'transformed' });
      else
        conflicts.push(`${g.name} (${had.type}, ${had.size} bytes → ${g.type}, ${g.size} bytes)`);
    }
    if (conflicts.length > 0)
      throw new OverlayError(
        `Version ${args.version} of ${args.program} changes ${conflicts.length === 1 ? 'a global' : 'globals'} without a transformer: ${conflicts.join(', ')}`,
      );
    return [...bound, ...this.allocate(p, pending)].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** New slots for globals: first fit in freed ranges, else past the end, each aligned. */
  private allocate(
    p: Program,
    globals: readonly {
      name: string;
      type: string;
      size: number;
      align: number;
      binding: 'added' | 'transformed';
    }[],
  ): BoundGlobal[] {
    const free = p.free.map(([at, size]) => [at, size] as [number, number]);
    let end = p.end;
    let slot = Math.max(0, ...p.slots.keys()) + 1;
    return globals.map((g) => {
      let offset: number | undefined;
      for (const range of free) {
        const at = alignUp(range[0], g.align);
        if (at + g.size <= range[0] + range[1]) {
          offset = at;
          const tail = range[0] + range[1] - (at + g.size);
          range[1] = at - range[0]; // what is left before it; the tail after it, its own range
          if (tail > 0) free.push([at + g.size, tail]);
          break;
        }
      }
      if (offset === undefined) {
        offset = alignUp(end, g.align);
        end = offset + g.size;
      }
      return { name: g.name, type: g.type, size: g.size, offset, binding: g.binding, slot: slot++ };
    });
  }

  /** Maps more pages in the store, and into every live version, when the globals reach past them. */
  private grow(p: Program, globals: readonly BoundGlobal[], context: CommandContext): void {
    const { pageSize } = this.mmu.config;
    const end = globals.reduce((e, g) => Math.max(e, g.offset + g.size), 0);
    const pages = Math.ceil(end / pageSize);
    if (pages <= p.pages) return;
    const extra = pages - p.pages;
    const at = p.va + p.pages * pageSize;
    context.call(map, {
      space: p.store,
      va: at,
      pages: extra,
      perms: 'rw-',
      kernel: false,
      lazy: false,
    });
    for (const v of p.versions.values())
      context.call(share, {
        from: p.store,
        va: at,
        pages: extra,
        to: v.space,
        toVa: v.base + p.pages * pageSize,
        perms: 'rw-',
      });
    context.emit(segmentGrown, { program: p.program, pages });
  }

  /** A transformed global's first value: the old value carried over as its transformer says. */
  private transformed(p: Program, g: BoundGlobal, args: LoadArgs): Uint8Array | undefined {
    const how = args.transformers[g.name]!;
    const decl = args.globals.find((d) => d.name === g.name)!;
    if (how.kind === 'initial') return decl.initial;
    const old = boundBefore(p, g.name)!;
    const bytes = this.mmu.read(p.store, p.va + old.offset, old.size)!;
    const out = new Uint8Array(g.size);
    out.set(bytes.subarray(0, Math.min(old.size, g.size)));
    if (
      how.kind === 'extend' &&
      how.signed &&
      g.size > old.size &&
      (bytes[old.size - 1]! & 0x80) !== 0
    )
      out.fill(0xff, old.size);
    return out;
  }
}

/** How the newest live version that has global `name` binds it, if any does. */
function boundBefore(p: Program, name: string): BoundGlobal | undefined {
  let found: BoundGlobal | undefined;
  let order = -1;
  for (const v of p.versions.values()) {
    const g = v.globals.get(name);
    if (g && v.order > order) [found, order] = [g, v.order];
  }
  return found;
}

const alignUp = (n: number, align: number): number => Math.ceil(n / align) * align;

function pad(data: Uint8Array | undefined, size: number): Uint8Array {
  const out = new Uint8Array(size);
  if (data) out.set(data.subarray(0, size));
  return out;
}
