import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, permsOfFlags } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { CarriedState } from './carried-state';
import {
  CHECKPOINT_FORMAT,
  type CheckpointImage,
  type CheckpointProcess,
  type CheckpointResource,
} from './image';
import { Kernel } from './kernel';
import { ProcError } from './proc-error';
import { imageStored } from './proc-events';
import { ProcState, type Process } from './proc-state';

/**
 * Dumps a process tree as CRIU does: the tree and its identities (pid, ppid, pgid, sid, zombies
 * with their exit codes), each process's memory, and every resource its descriptors and mappings
 * name, each once with its sharing kept. Memory is copy-on-write aware: a frame several pages
 * share (after fork, or a shared segment) is stored once, and every page names it; a page of its
 * own that is zero is not stored at all.
 */
export class Checkpointer {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(Kernel) private readonly kernel: Kernel,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
    /** What other plugins keep about a space (the heap, a handle table): it goes with the process. */
    @inject(CarriedState) private readonly carried: CarriedState,
  ) {}

  checkpoint(domain: string, root: number, name: string, context: CommandContext): void {
    if (this.state.image(name))
      throw new ProcError(`Image ${name} already exists: choose another name`);
    this.kernel.process(domain, root, true);
    const tree = this.treeOf(domain, root);
    const { pageSize } = this.mmu.config;
    // A frame several pages share is stored even when it is zero, so the sharing comes back.
    const uses = new Map<number, number>();
    for (const p of tree)
      if (p.state === 'running')
        for (const { frame } of this.pagesOfSpace(p.space))
          if (frame >= 0) uses.set(frame, (uses.get(frame) ?? 0) + 1);
    const frames: Uint8Array[] = [];
    const indexOf = new Map<number, number>(); // host frame → index in `frames`
    const frameIndex = (frame: number): number => {
      if (frame < 0) return -1; // a guest page whose guest-physical page has no frame yet: zero
      let index = indexOf.get(frame);
      if (index === undefined) {
        const data = this.mmu.readPhysical(frame * pageSize, pageSize);
        const keep = (uses.get(frame) ?? 0) > 1 || data.some((b) => b !== 0);
        index = keep ? frames.push(data) - 1 : -1;
        indexOf.set(frame, index);
      }
      return index;
    };
    const resourceIds = new Set<number>();
    const processes: CheckpointProcess[] = tree.map((p) => {
      for (const id of p.fds.values()) resourceIds.add(id);
      for (const { resource } of p.shm) resourceIds.add(resource);
      return {
        pid: p.pid,
        ppid: tree.some((q) => q.pid === p.ppid) ? p.ppid : 0,
        pgid: p.pgid,
        sid: p.sid,
        state: p.state,
        ...(p.state === 'zombie' ? { exitCode: p.exitCode ?? 0 } : {}),
        memory: p.state === 'zombie' ? [] : this.memoryOf(p, frameIndex),
        fds: p.fds.sortedEntries().map(([fd, resource]) => ({ fd, resource })),
        ...(p.shm.length > 0 ? { shm: p.shm.map(({ resource, va }) => ({ resource, va })) } : {}),
        ...this.spaceStateOf(p),
      };
    });
    const resources: CheckpointResource[] = [...resourceIds]
      .sort((a, b) => a - b)
      .map((id) => {
        const r = this.state.resource(id)!;
        if (r.kind === 'file')
          return { id, kind: 'file', path: r.path, offset: r.offset, flags: r.flags };
        if (r.kind === 'pipe') return { id, kind: 'pipe', buffered: r.buffered!.slice() };
        const store = this.mmu
          .mappings(r.store)
          .filter((run) => run.va >= r.va && run.va < r.va + r.pages * pageSize);
        return {
          id,
          kind: 'shm',
          key: r.key,
          frames: store.flatMap((run) => pagesOf(run).map(frameIndex)),
        };
      });
    const image: CheckpointImage = {
      format: CHECKPOINT_FORMAT,
      name,
      pageSize,
      domain,
      root,
      processes,
      resources,
      frames,
    };
    context.emit(imageStored, { image });
  }

  /**
   * Each mapped page of a space with the host frame behind it: a host space's own, or, for a
   * process inside a VM, the frame its guest-physical page has at stage 2 (-1 where it has none).
   */
  private pagesOfSpace(space: number): { va: number; frame: number; flags: string }[] {
    const { pageSize } = this.mmu.config;
    const guest = this.mmu.spaces().find((s) => s.id === space)?.kind === 'guest';
    return this.mmu.mappings(space).flatMap((run) =>
      Array.from({ length: run.pages }, (_, i) => {
        const va = run.va + i * pageSize;
        const pa = guest ? this.mmu.physicalAddress(space, va) : undefined;
        const frame = guest ? (pa === undefined ? -1 : Math.floor(pa / pageSize)) : run.frame + i;
        return { va, frame, flags: run.flags };
      }),
    );
  }

  /** Each plugin's part of a running process's space state, by part (none for a zombie). */
  private spaceStateOf(p: Process): { spaceState?: Record<string, unknown> } {
    const spaceState = p.state === 'running' ? this.carried.capture(p.space) : undefined;
    return spaceState ? { spaceState } : {};
  }

  /** The root and every descendant, parents before children, by pid at each level. */
  private treeOf(domain: string, root: number): Process[] {
    const all = this.state.processesOf(domain);
    const tree: Process[] = [];
    const visit = (pid: number): void => {
      tree.push(all.find((p) => p.pid === pid)!);
      for (const child of all.filter((p) => p.ppid === pid)) visit(child.pid);
    };
    visit(root);
    return tree;
  }

  /** A process's private memory as runs: its segments' pages are the segments'. */
  private memoryOf(p: Process, frameIndex: (frame: number) => number): CheckpointProcess['memory'] {
    const { pageSize } = this.mmu.config;
    const inSegment = (va: number) =>
      p.shm.some(({ resource, va: at }) => {
        const r = this.state.resource(resource)!;
        return r.kind === 'shm' && va >= at && va < at + r.pages * pageSize;
      });
    const memory: { va: number; pages: number; perms: string; kernel?: true; frames: number[] }[] =
      [];
    for (const page of this.pagesOfSpace(p.space)) {
      const { va, frame, flags } = page;
      const perms = permsOfFlags(flags);
      // A page without the user bit is the kernel's (a handle table's): it comes back as one.
      const kernel = !flags.includes('U');
      if (inSegment(va)) continue;
      const last = memory[memory.length - 1];
      if (
        last &&
        last.perms === perms &&
        (last.kernel === true) === kernel &&
        last.va + last.pages * pageSize === va
      ) {
        last.pages++;
        last.frames.push(frameIndex(frame));
      } else
        memory.push({
          va,
          pages: 1,
          perms,
          ...(kernel ? { kernel: true as const } : {}),
          frames: [frameIndex(frame)],
        });
    }
    return memory;
  }
}

/** The frame of each page of a run. */
function pagesOf(run: { pages: number; frame: number }): number[] {
  return Array.from({ length: run.pages }, (_, i) => run.frame + i);
}
