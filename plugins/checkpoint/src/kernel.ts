import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, createSpace, map, permsOfFlags, write } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { ProcError } from './proc-error';
import { processCreated, type ProcessOrigin } from './proc-events';
import { ProcState, type Process } from './proc-state';

/**
 * What a domain's kernel does for every process command: find processes (or say which pid is
 * missing), hand out pids and descriptors as POSIX does (the lowest free), and make a process with
 * its own address space in the domain's partition.
 */
export class Kernel {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  /** The domain's partition, or an error naming the domain. */
  partition(domain: string): string {
    const partition = this.state.partitionOf(domain);
    if (partition === undefined)
      throw new ProcError(`Domain ${domain} does not exist; create it with proc.domain`);
    return partition;
  }

  /** A process that exists (running, or a zombie if `zombies`). */
  process(domain: string, pid: number, zombies = false): Process {
    this.partition(domain);
    const p = this.state.process(domain, pid);
    if (!p) throw new ProcError(`No process ${pid} in domain ${domain}`);
    if (p.state === 'zombie' && !zombies)
      throw new ProcError(`Process ${pid} in domain ${domain} has exited`);
    return p;
  }

  /** The next pid: one past the highest in use, as a fresh pid namespace counts. */
  nextPid(domain: string): number {
    let max = 0;
    for (const p of this.state.processesOf(domain)) if (p.pid > max) max = p.pid;
    return max + 1;
  }

  /** The lowest descriptor not open in `p` (POSIX's rule), past `after`. */
  freeFd(p: Process, after = -1): number {
    let fd = after + 1;
    while (p.fds.has(fd)) fd++;
    return fd;
  }

  /** The resource behind a descriptor, or an error naming it. */
  resourceOf(p: Process, fd: number): number {
    const id = p.fds.get(fd);
    if (id === undefined)
      throw new ProcError(`Process ${p.pid} in domain ${p.domain} has no descriptor ${fd}`);
    return id;
  }

  /** Makes a process with a space of its own holding `pages` fresh pages at the options' address. */
  create(
    domain: string,
    facts: { pid: number; ppid: number; pgid: number; sid: number },
    pages: number,
    origin: ProcessOrigin,
    context: CommandContext,
  ): Process {
    const space = this.newSpace(domain, context);
    if (pages > 0)
      this.mapMemory(domain, space, this.state.config.processVa, pages, 'rw-', false, context);
    return this.adopt(domain, facts, space, origin, context);
  }

  /** An address space for a process of the domain: a host space, or a guest of its VM. */
  newSpace(domain: string, context: CommandContext): number {
    const partition = this.partition(domain);
    const vm = this.state.vmOf(domain);
    return vm === undefined
      ? context.call(createSpace, { kind: 'host', partition })
      : context.call(createSpace, { kind: 'guest', vm });
  }

  /**
   * Maps `pages` fresh pages at `va` of a process's space: fresh host frames, or, inside a VM,
   * guest-physical pages the guest kernel hands out (the lowest free ones of the VM's memory).
   */
  mapMemory(
    domain: string,
    space: number,
    va: number,
    pages: number,
    perms: string,
    kernel: boolean,
    context: CommandContext,
  ): void {
    const vm = this.state.vmOf(domain);
    if (vm === undefined) {
      context.call(map, { space, va, pages, perms, kernel, lazy: false });
      return;
    }
    const { pageSize } = this.mmu.config;
    const free = this.freeGuestPages(vm, pages);
    if (free.length < pages)
      throw new ProcError(
        `VM ${vm} has ${free.length} free guest-physical pages for domain ${domain}; ${pages} needed`,
      );
    // In runs of consecutive guest-physical pages: one map each.
    for (let i = 0; i < pages;) {
      let n = 1;
      while (i + n < pages && free[i + n] === free[i]! + n * pageSize) n++;
      context.call(map, {
        space,
        va: va + i * pageSize,
        pages: n,
        perms,
        kernel,
        lazy: false,
        to: free[i],
      });
      i += n;
    }
  }

  /**
   * Maps into `to` (a fresh space of `domain`) fresh pages where `from` has pages, with the same
   * permissions, and copies their bytes `chunk` bytes a write, all of them or (`skipZeroes`) only
   * the chunks holding a byte that is not zero (fresh pages are zero already). Returns the bytes
   * copied.
   */
  copyInto(
    domain: string,
    from: number,
    to: number,
    { chunk, skipZeroes }: { chunk: number; skipZeroes: boolean },
    context: CommandContext,
  ): number {
    const { pageSize } = this.mmu.config;
    let copied = 0;
    for (const run of this.mmu.mappings(from)) {
      const kernel = !run.flags.includes('U');
      this.mapMemory(domain, to, run.va, run.pages, permsOfFlags(run.flags), kernel, context);
      const length = run.pages * pageSize;
      for (let at = 0; at < length; at += chunk) {
        const data = this.mmu.read(from, run.va + at, Math.min(chunk, length - at))!;
        if (skipZeroes && data.every((b) => b === 0)) continue;
        context.call(write, { space: to, va: run.va + at, data, kernel });
        copied += data.length;
      }
    }
    return copied;
  }

  /** The lowest `count` guest-physical pages of a VM that no guest space maps (fewer if short). */
  private freeGuestPages(vm: number, count: number): number[] {
    const { pageSize } = this.mmu.config;
    const used = new Set<number>();
    for (const guest of this.mmu.spaces())
      if (guest.vm === vm)
        for (const run of this.mmu.mappings(guest.id))
          for (let i = 0; i < run.pages; i++) used.add(run.frame + i);
    const free: number[] = [];
    for (const run of this.mmu.mappings(vm))
      for (let i = 0; i < run.pages && free.length < count; i++) {
        const gpa = run.va + i * pageSize;
        if (!used.has(gpa / pageSize)) free.push(gpa);
      }
    return free;
  }

  /** The guest-physical address past the VM's memory: its stage 2 maps nothing from there on. */
  guestMemoryEnd(vm: number): number {
    const { pageSize } = this.mmu.config;
    let end = 0;
    for (const run of this.mmu.mappings(vm)) end = Math.max(end, run.va + run.pages * pageSize);
    return end;
  }

  /** Records a process for an address space that exists. */
  adopt(
    domain: string,
    facts: { pid: number; ppid: number; pgid: number; sid: number },
    space: number,
    origin: ProcessOrigin,
    context: CommandContext,
  ): Process {
    context.emit(processCreated, { domain, ...facts, space, origin });
    return this.state.process(domain, facts.pid)!;
  }

  /** The MMU's page size. */
  get pageSize(): number {
    return this.mmu.config.pageSize;
  }
}
