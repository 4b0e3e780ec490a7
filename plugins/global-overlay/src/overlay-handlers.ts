import { handle, type CommandHandlers } from '@chronovisor/core';
import { destroySpace, read as mmuRead, write as mmuWrite } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Loader } from './loader';
import { load, read, retire, write } from './overlay-commands';
import { OverlayError } from './overlay-error';
import { globalWritten, versionRetired, type BoundGlobal } from './overlay-events';
import { OverlayState, type Program, type Version } from './overlay-state';

/** Load, read, write and retire versions of a program. */
export class OverlayHandlers implements CommandHandlers {
  constructor(
    @inject(OverlayState) private readonly state: OverlayState,
    @inject(Loader) private readonly loader: Loader,
  ) {}

  readonly handlers = [
    handle(load, (args, context) => this.loader.load(args, context)),

    handle(read, ({ program, version, global }, context) => {
      const { v, g } = this.find(program, version, global);
      const outcome = context.call(mmuRead, {
        space: v.space,
        va: v.base + g.offset,
        length: g.size,
      });
      if (!outcome.ok) throw new OverlayError(`Reading ${global} faulted in version ${version}`);
      return outcome.bytes;
    }),

    handle(write, ({ program, version, global, data, at }, context) => {
      const { v, g } = this.find(program, version, global);
      if (at + data.length > g.size)
        throw new OverlayError(
          `Global ${global} has ${g.size} bytes: ${data.length} at ${at} do not fit`,
        );
      const outcome = context.call(mmuWrite, {
        space: v.space,
        va: v.base + g.offset + at,
        data: data.slice(),
      });
      if (!outcome.ok) throw new OverlayError(`Writing ${global} faulted in version ${version}`);
      context.emit(globalWritten, { program, version, global, slot: g.slot });
    }),

    handle(retire, ({ program, version }, context) => {
      const p = this.programNamed(program);
      const v = this.versionOf(p, version);
      const others = [...p.versions.values()].filter((o) => o.version !== version);
      const shared = (slot: number) =>
        others.some((o) => [...o.globals.values()].some((g) => g.slot === slot));
      const freed: string[] = [];
      const changed: string[] = [];
      for (const g of v.globals.values()) {
        if (!shared(g.slot)) freed.push(g.name);
        else if (v.writtenSince.has(g.slot)) changed.push(g.name);
      }
      context.call(destroySpace, { space: v.space });
      context.emit(versionRetired, {
        program,
        version,
        freed: freed.sort(),
        changed: changed.sort(),
      });
    }),
  ];

  private find(program: string, version: string, global: string): { v: Version; g: BoundGlobal } {
    const v = this.versionOf(this.programNamed(program), version);
    const g = v.globals.get(global);
    if (!g) throw new OverlayError(`Version ${version} of ${program} has no global ${global}`);
    return { v, g };
  }

  private programNamed(program: string): Program {
    const p = this.state.program(program);
    if (!p) throw new OverlayError(`No program ${program}; load a version of it first`);
    return p;
  }

  private versionOf(p: Program, version: string): Version {
    const v = p.versions.get(version);
    if (!v) throw new OverlayError(`Version ${version} of ${p.program} is not loaded`);
    return v;
  }
}
