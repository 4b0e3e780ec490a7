import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, destroySpace, fork, map, unmap, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { CarriedState } from './carried-state';
import type { CheckpointImage, CheckpointProcess } from './image';
import { Kernel } from './kernel';
import { ProcError } from './proc-error';
import {
  fdOpened,
  pipeWritten,
  processExited,
  processReaped,
  resourceCreated,
  shmAttached,
  treeRestored,
} from './proc-events';
import { ProcState } from './proc-state';
import { SEGMENT_VA, Segments } from './segments';

/** A failure injected on purpose, to show a restore is all or nothing. */
export class InjectedFailure extends ProcError {}

/** A restore's context that counts its steps (events and calls), failing at `failAt` if given. */
function counting(
  context: CommandContext,
  failAt: number | undefined,
): CommandContext & { steps: number } {
  let steps = 0;
  const step = (what: string) => {
    if (steps === failAt)
      throw new InjectedFailure(`Failure injected at step ${steps} of the restore (${what})`);
    steps++;
  };
  return {
    get cause() {
      return context.cause;
    },
    get tick() {
      return context.tick;
    },
    get actor() {
      return context.actor;
    },
    get steps() {
      return steps;
    },
    emit: (event, data) => (step(event.type), context.emit(event, data)),
    call: (command, args) => (step(command.type), context.call(command, args)),
  };
}

/**
 * Restores a process tree in the stages of US7275183B2 and CRIU:
 * 1. checks: no pid of the tree (or of a helper it needs) is taken in the domain;
 * 2. the tree, parents first, with the image's pids, groups and sessions: a dead session or group
 *    leader is recreated as a helper first, so members can join its session; a child whose pages
 *    share frames with its parent's is forked from it, so copy-on-write sharing comes back;
 * 3. every resource once (files, pipes with their unread bytes, segments with their pages), then
 *    each process's descriptors and mappings of it, so sharing is as it was; then what other
 *    plugins keep about each space (its heap), by those plugins' restore commands;
 * 4. invariants checked (memory as the image says, groups within sessions); helpers exit; resume.
 * It is one command: a failure at any step undoes every step before it.
 */
export class Restorer {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(Kernel) private readonly kernel: Kernel,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
    @inject(CarriedState) private readonly carried: CarriedState,
    @inject(Segments) private readonly segments: Segments,
  ) {}

  restore(
    name: string,
    domain: string,
    failAt: number | undefined,
    outer: CommandContext,
  ): number[] {
    const image = this.state.image(name);
    if (!image) throw new ProcError(`Image ${name} does not exist; checkpoint or import it first`);
    const { pageSize } = this.mmu.config;
    if (image.pageSize !== pageSize)
      throw new ProcError(
        `Image ${name} has ${image.pageSize}-byte pages; this MMU's are ${pageSize} bytes`,
      );
    this.kernel.partition(domain);
    const context = counting(outer, failAt);
    const pids = new Set(image.processes.map((p) => p.pid));
    const helpers = [
      ...new Set(image.processes.flatMap((p) => [p.sid, p.pgid]).filter((pid) => !pids.has(pid))),
    ].sort((a, b) => a - b);
    for (const pid of [...pids, ...helpers])
      if (this.state.process(domain, pid))
        throw new ProcError(
          `pid ${pid} is taken in domain ${domain}: image ${name} needs it${pids.has(pid) ? '' : ' for a helper'}; restore into another domain`,
        );

    // Stage 2: helpers, then the tree, parents first.
    for (const pid of helpers)
      this.kernel.create(domain, { pid, ppid: 0, pgid: pid, sid: pid }, 0, 'helper', context);
    const spaces = new Map<number, number>();
    for (const p of parentsFirst(image.processes))
      spaces.set(p.pid, this.restoreProcess(image, domain, p, spaces, context));

    // Stage 3: each resource once, then who holds it.
    const renamed = new Map<number, number>();
    for (const r of image.resources) {
      const id = this.state.nextResource;
      if (r.kind === 'file')
        context.emit(resourceCreated, {
          id,
          domain,
          resource: { kind: 'file', path: r.path, flags: r.flags, offset: r.offset },
        });
      else if (r.kind === 'pipe') {
        context.emit(resourceCreated, { id, domain, resource: { kind: 'pipe' } });
        if (r.buffered.length > 0)
          context.emit(pipeWritten, { resource: id, data: r.buffered.slice() });
      } else {
        const pages = r.frames.length;
        const store = this.segments.createStore(domain, pages, context);
        r.frames.forEach((frame, i) => {
          if (frame >= 0)
            context.call(write, {
              space: store,
              va: SEGMENT_VA + i * pageSize,
              data: image.frames[frame]!,
            });
        });
        context.emit(resourceCreated, {
          id,
          domain,
          resource: { kind: 'shm', key: r.key, pages, store, va: SEGMENT_VA },
        });
      }
      renamed.set(r.id, id);
    }
    for (const p of image.processes) {
      for (const { fd, resource } of p.fds)
        context.emit(fdOpened, { domain, pid: p.pid, fd, resource: renamed.get(resource)! });
      for (const { resource, va } of p.shm ?? []) {
        const segment = this.state.resource(renamed.get(resource)!)!;
        if (segment.kind !== 'shm')
          throw new ProcError(`Resource ${resource} of image ${name} is not a segment`);
        this.segments.attach(segment, p.pid, spaces.get(p.pid)!, va, context);
        context.emit(shmAttached, { domain, pid: p.pid, resource: segment.id, va });
      }
    }

    // Then what other plugins keep about each space (its heap, its handle table), now that its
    // memory is back: each part by the plugin that keeps it.
    for (const p of image.processes)
      if (p.spaceState)
        this.carried.restore(
          spaces.get(p.pid)!,
          p.spaceState,
          { holder: `Image ${name}`, of: `pid ${p.pid}` },
          context,
        );

    // Stage 4: check, let the helpers go, mark the zombies, resume.
    this.check(image, domain, spaces);
    for (const pid of helpers) {
      context.call(destroySpace, { space: this.state.process(domain, pid)!.space });
      context.emit(processExited, { domain, pid, code: 0, orphans: [], to: 0 });
      context.emit(processReaped, { domain, pid });
    }
    for (const p of image.processes)
      if (p.state === 'zombie') {
        context.call(destroySpace, { space: spaces.get(p.pid)! });
        context.emit(processExited, {
          domain,
          pid: p.pid,
          code: p.exitCode ?? 0,
          orphans: [],
          to: 0,
        });
      }
    const restored = image.processes.map((p) => p.pid);
    context.emit(treeRestored, {
      domain,
      image: name,
      pids: restored,
      helpers,
      resources: [...renamed],
    });
    return restored;
  }

  /** One process: forked from its restored parent where they share frames, else made afresh. */
  private restoreProcess(
    image: CheckpointImage,
    domain: string,
    p: CheckpointProcess,
    spaces: ReadonlyMap<number, number>,
    context: CommandContext,
  ): number {
    const { pageSize } = this.mmu.config;
    const pages = pageMap(p, pageSize);
    const parent = image.processes.find((q) => q.pid === p.ppid);
    const parentPages = parent ? pageMap(parent, pageSize) : undefined;
    // Copy-on-write sharing with the parent comes back by forking it (inside a VM too: the fork
    // shares guest-physical pages copy-on-write).
    const shares =
      parentPages &&
      [...pages].some(([va, page]) => page.frame >= 0 && parentPages.get(va)?.frame === page.frame);
    const facts = { pid: p.pid, ppid: p.ppid, pgid: p.pgid, sid: p.sid };
    let space: number;
    if (shares) {
      space = context.call(fork, { space: spaces.get(parent!.pid)! });
      for (const [va, had] of parentPages)
        if (!pages.has(va)) context.call(unmap, { space, va, pages: 1 });
        else if (pages.get(va)!.perms !== had.perms || pages.get(va)!.kernel !== had.kernel) {
          context.call(unmap, { space, va, pages: 1 });
          parentPages.delete(va); // made again below
        }
    } else space = this.kernel.newSpace(domain, context);
    // The pages not inherited, mapped a run at a time (inside a VM, each map takes guest-physical
    // pages the guest kernel finds free).
    const fresh = [...pages].filter(([va]) => !(shares && parentPages.has(va)));
    for (const { va, pages, perms, kernel } of runsOf(fresh, pageSize))
      context.call(map, { space, va, pages, perms, kernel, lazy: false });
    for (const [va, page] of pages) {
      const inherited = shares ? parentPages.get(va) : undefined;
      const { kernel } = page;
      if (inherited?.frame === page.frame) continue; // shared copy-on-write, as before the checkpoint
      if (page.frame >= 0)
        context.call(write, { space, va, data: image.frames[page.frame]!, kernel });
      else if (inherited && inherited.frame >= 0)
        context.call(write, { space, va, data: new Uint8Array(pageSize), kernel });
    }
    this.kernel.adopt(domain, facts, space, 'restore', context);
    return space;
  }

  /** The invariants a restored tree must meet before it resumes. */
  private check(image: CheckpointImage, domain: string, spaces: ReadonlyMap<number, number>): void {
    const { pageSize } = this.mmu.config;
    for (const p of image.processes) {
      const restored = this.state.process(domain, p.pid)!;
      const wrong = (what: string) =>
        new ProcError(`Restored process ${p.pid} of image ${image.name}: ${what}`);
      if (restored.ppid !== p.ppid || restored.pgid !== p.pgid || restored.sid !== p.sid)
        throw wrong('its pid, ppid, pgid or sid differ from the image');
      const leader = this.state.process(domain, p.pgid);
      if (leader && leader.sid !== p.sid) throw wrong(`its group ${p.pgid} is in another session`);
      for (const [va, page] of pageMap(p, pageSize)) {
        const bytes = this.mmu.read(spaces.get(p.pid)!, va, pageSize);
        const expected = page.frame >= 0 ? image.frames[page.frame]! : undefined;
        if (!bytes || (expected ? !equal(bytes, expected) : bytes.some((b) => b !== 0)))
          throw wrong(`page 0x${va.toString(16)} does not hold what the image holds`);
      }
    }
  }
}

/** Each page of a process's private memory: its frame index, permissions and privilege, by address. */
function pageMap(
  p: CheckpointProcess,
  pageSize: number,
): Map<number, { frame: number; perms: string; kernel: boolean }> {
  const pages = new Map<number, { frame: number; perms: string; kernel: boolean }>();
  for (const run of p.memory)
    run.frames.forEach((frame, i) =>
      pages.set(run.va + i * pageSize, { frame, perms: run.perms, kernel: run.kernel === true }),
    );
  return pages;
}

/** Pages (in address order) as runs of consecutive ones with the same permissions and privilege. */
function runsOf(
  pages: readonly (readonly [number, { perms: string; kernel: boolean }])[],
  pageSize: number,
): { va: number; pages: number; perms: string; kernel: boolean }[] {
  const runs: { va: number; pages: number; perms: string; kernel: boolean }[] = [];
  for (const [va, { perms, kernel }] of pages) {
    const last = runs.at(-1);
    if (
      last &&
      last.va + last.pages * pageSize === va &&
      last.perms === perms &&
      last.kernel === kernel
    )
      last.pages++;
    else runs.push({ va, pages: 1, perms, kernel });
  }
  return runs;
}

/** The processes ordered so that every parent in the image comes before its children. */
function parentsFirst(processes: readonly CheckpointProcess[]): CheckpointProcess[] {
  const pids = new Set(processes.map((p) => p.pid));
  const ordered: CheckpointProcess[] = [];
  const visit = (ppid: number) => {
    for (const p of processes)
      if ((ppid === 0 ? !pids.has(p.ppid) : p.ppid === ppid) && !ordered.includes(p)) {
        ordered.push(p);
        visit(p.pid);
      }
  };
  visit(0);
  return ordered;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
