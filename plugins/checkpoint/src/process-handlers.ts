import { handle, type CommandHandlers } from '@chronovisor/core';
import { MmuQuery, destroySpace, fork as forkSpace } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { Kernel } from './kernel';
import { createDomain, exit, fork, setpgid, setsid, spawn, wait } from './proc-commands';
import { ProcError } from './proc-error';
import {
  domainCreated,
  fdClosed,
  fdOpened,
  processExited,
  processReaped,
  processRegrouped,
  shmAttached,
} from './proc-events';
import { ProcState } from './proc-state';

/** Domains, and processes' lives: spawn, fork, sessions and groups, exit, wait. */
export class ProcessHandlers implements CommandHandlers {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(Kernel) private readonly kernel: Kernel,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  readonly handlers = [
    handle(createDomain, ({ name, partition, vm }, context) => {
      if (this.state.partitionOf(name) !== undefined)
        throw new ProcError(`Domain ${name} already exists`);
      if (vm === undefined) {
        context.emit(domainCreated, { name, partition: partition! });
        return;
      }
      const space = this.mmu.spaces().find((s) => s.id === vm);
      if (space?.kind !== 'vm')
        throw new ProcError(
          `Space ${vm} is ${space ? `a ${space.kind} space` : 'no space'}: a domain runs inside a VM (a vm space)`,
        );
      context.emit(domainCreated, { name, partition: space.partition, vm });
    }),

    handle(spawn, ({ domain, parent, pages, session }, context) => {
      const pid = this.kernel.nextPid(domain);
      const up = parent === undefined ? undefined : this.kernel.process(domain, parent);
      const own = session || !up;
      const facts = {
        pid,
        ppid: up?.pid ?? 0,
        pgid: own ? pid : up.pgid,
        sid: own ? pid : up.sid,
      };
      this.kernel.create(domain, facts, pages, 'spawn', context);
      return pid;
    }),

    handle(fork, ({ domain, pid }, context) => {
      const parent = this.kernel.process(domain, pid);
      const child = this.kernel.nextPid(domain);
      // Copy-on-write, inside a VM too (at stage 1, over guest-physical pages); plugins copy what
      // they keep about the space (its heap, its handle table) as the fork happens.
      const space = context.call(forkSpace, { space: parent.space });
      const facts = { pid: child, ppid: pid, pgid: parent.pgid, sid: parent.sid };
      this.kernel.adopt(domain, facts, space, 'fork', context);
      // The child's descriptors name the parent's open descriptions: shared offsets, as after fork(2).
      for (const [fd, resource] of parent.fds.sortedEntries())
        context.emit(fdOpened, { domain, pid: child, fd, resource });
      // Shared mappings stay shared across fork (the MMU keeps them so): the child holds them too.
      for (const { resource, va } of parent.shm)
        context.emit(shmAttached, { domain, pid: child, resource, va });
      return child;
    }),

    handle(setsid, ({ domain, pid }, context) => {
      const p = this.kernel.process(domain, pid);
      if (p.pgid === pid)
        throw new ProcError(
          `Process ${pid} leads process group ${pid}: it cannot start a session (EPERM)`,
        );
      context.emit(processRegrouped, { domain, pid, pgid: pid, sid: pid });
    }),

    handle(setpgid, ({ domain, pid, pgid }, context) => {
      const p = this.kernel.process(domain, pid);
      if (p.sid === pid)
        throw new ProcError(`Process ${pid} leads its session: its group cannot change (EPERM)`);
      if (pgid !== pid) {
        const group = this.state
          .processesOf(domain)
          .some((q) => q.pgid === pgid && q.sid === p.sid);
        if (!group)
          throw new ProcError(
            `No process group ${pgid} in session ${p.sid} of domain ${domain} (EPERM)`,
          );
      }
      context.emit(processRegrouped, { domain, pid, pgid, sid: p.sid });
    }),

    handle(exit, ({ domain, pid, code }, context) => {
      const p = this.kernel.process(domain, pid);
      for (const [fd, resource] of p.fds.sortedEntries()) {
        const last = this.state.resource(resource)!.refs === 1;
        context.emit(fdClosed, { domain, pid, fd, resource, last });
      }
      context.call(destroySpace, { space: p.space });
      const init = this.state.process(domain, 1);
      const to = init && init.pid !== pid && init.state === 'running' ? 1 : 0;
      const orphans = this.state
        .processesOf(domain)
        .filter((q) => q.ppid === pid)
        .map((q) => q.pid);
      context.emit(processExited, { domain, pid, code, orphans, to });
    }),

    handle(wait, ({ domain, pid, child }, context) => {
      this.kernel.process(domain, pid);
      const c = this.kernel.process(domain, child, true);
      if (c.ppid !== pid) throw new ProcError(`Process ${child} is not a child of ${pid} (ECHILD)`);
      if (c.state !== 'zombie') throw new ProcError(`Process ${child} has not exited yet`);
      context.emit(processReaped, { domain, pid: child });
    }),
  ];
}
