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
      // Fresh frames; inside a VM, the guest-physical pages its kernel hands out (see mmu.map).
      context.call(map, {
        space,
        va: this.state.config.processVa,
        pages,
        perms: 'rw-',
        kernel: false,
        lazy: false,
      });
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
   * Maps into `to` (a fresh space) fresh pages where `from` has pages, with the same
   * permissions, and copies every byte, `chunk` bytes a write (a migration by copy). Returns the
   * bytes copied.
   */
  copyInto(from: number, to: number, chunk: number, context: CommandContext): number {
    const { pageSize } = this.mmu.config;
    let copied = 0;
    for (const run of this.mmu.mappings(from)) {
      const kernel = !run.flags.includes('U');
      const perms = permsOfFlags(run.flags);
      context.call(map, { space: to, va: run.va, pages: run.pages, perms, kernel, lazy: false });
      const length = run.pages * pageSize;
      for (let at = 0; at < length; at += chunk) {
        const data = this.mmu.read(from, run.va + at, Math.min(chunk, length - at))!;
        context.call(write, { space: to, va: run.va + at, data, kernel });
        copied += data.length;
      }
    }
    return copied;
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
