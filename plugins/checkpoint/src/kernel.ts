import type { CommandContext } from '@chronovisor/core';
import { MmuQuery, createSpace, map } from '@chronovisor/mmu';
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
    const partition = this.partition(domain);
    const space = context.call(createSpace, { kind: 'host', partition });
    if (pages > 0)
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
