import { handle, type CommandContext, type CommandHandlers } from '@chronovisor/core';
import { inject } from 'inversify';
import { Kernel } from './kernel';
import { close, open, pass, pin, pipe, readFd, shm, writeFd } from './proc-commands';
import { ProcError } from './proc-error';
import {
  fdClosed,
  fdOpened,
  fileAdvanced,
  pagesPinned,
  pipeRead,
  pipeWritten,
  resourceCreated,
  shmAttached,
  type ResourceSpec,
} from './proc-events';
import { ProcState } from './proc-state';
import { SEGMENT_VA, Segments } from './segments';

/** Files, pipes and shared memory: the resources processes share, and their descriptors. */
export class ResourceHandlers implements CommandHandlers {
  constructor(
    @inject(ProcState) private readonly state: ProcState,
    @inject(Kernel) private readonly kernel: Kernel,
    @inject(Segments) private readonly segments: Segments,
  ) {}

  readonly handlers = [
    handle(open, ({ domain, pid, path, flags }, context) =>
      this.openResource(domain, pid, { kind: 'file', path, flags, offset: 0 }, context),
    ),

    handle(pipe, ({ domain, pid }, context): [number, number] => {
      const read = this.openResource(domain, pid, { kind: 'pipe' }, context);
      const p = this.kernel.process(domain, pid);
      const write = this.kernel.freeFd(p);
      context.emit(fdOpened, { domain, pid, fd: write, resource: p.fds.get(read)! });
      return [read, write];
    }),

    handle(writeFd, ({ domain, pid, fd, data }, context) => {
      const id = this.kernel.resourceOf(this.kernel.process(domain, pid), fd);
      const r = this.state.resource(id)!;
      if (r.kind === 'pipe') context.emit(pipeWritten, { resource: id, data: data.slice() });
      else if (r.kind === 'file')
        context.emit(fileAdvanced, { resource: id, offset: r.offset + data.length });
      else throw new ProcError(`Descriptor ${fd} of process ${pid} is not a file or a pipe`);
    }),

    handle(readFd, ({ domain, pid, fd, length }, context) => {
      const id = this.kernel.resourceOf(this.kernel.process(domain, pid), fd);
      const r = this.state.resource(id)!;
      if (r.kind === 'pipe') {
        const data = r.buffered!.slice(0, length);
        if (data.length > 0) context.emit(pipeRead, { resource: id, length: data.length });
        return data;
      }
      if (r.kind !== 'file')
        throw new ProcError(`Descriptor ${fd} of process ${pid} is not a file or a pipe`);
      context.emit(fileAdvanced, { resource: id, offset: r.offset + length });
      return new Uint8Array(length);
    }),

    handle(shm, ({ domain, pid, key, pages, va }, context) => {
      const p = this.kernel.process(domain, pid);
      let segment = this.state.segment(domain, key);
      if (!segment) {
        const store = this.segments.createStore(domain, pages, context);
        const id = this.state.nextResource;
        const resource = { kind: 'shm' as const, key, pages, store, va: SEGMENT_VA };
        context.emit(resourceCreated, { id, domain, resource });
        segment = this.state.resource(id)!;
      } else if (segment.kind === 'shm' && segment.pages !== pages)
        throw new ProcError(`Segment ${key} has ${segment.pages} pages, not ${pages}`);
      if (segment.kind !== 'shm') throw new ProcError(`Resource ${segment.id} is not a segment`);
      this.segments.attach(segment, pid, p.space, va, context);
      context.emit(shmAttached, { domain, pid, resource: segment.id, va });
    }),

    handle(pass, ({ domain, pid, fd, to }, context) => {
      const id = this.kernel.resourceOf(this.kernel.process(domain, pid), fd);
      const target = this.kernel.process(domain, to);
      const given = this.kernel.freeFd(target);
      context.emit(fdOpened, { domain, pid: to, fd: given, resource: id });
      return given;
    }),

    handle(close, ({ domain, pid, fd }, context) => {
      const id = this.kernel.resourceOf(this.kernel.process(domain, pid), fd);
      context.emit(fdClosed, {
        domain,
        pid,
        fd,
        resource: id,
        last: this.state.resource(id)!.refs === 1,
      });
    }),

    handle(pin, ({ domain, pid, va, pages, pinned }, context) => {
      const p = this.kernel.process(domain, pid);
      if (!pinned && !p.pinned.some((r) => r.va === va && r.pages === pages))
        throw new ProcError(
          `Pages 0x${va.toString(16)} (${pages}) of process ${pid} are not pinned`,
        );
      context.emit(pagesPinned, { domain, pid, va, pages, pinned });
    }),
  ];

  /** A new resource, and the lowest free descriptor of `pid` naming it. */
  private openResource(
    domain: string,
    pid: number,
    resource: ResourceSpec,
    context: CommandContext,
  ): number {
    const p = this.kernel.process(domain, pid);
    const id = this.state.nextResource;
    context.emit(resourceCreated, { id, domain, resource });
    const fd = this.kernel.freeFd(p);
    context.emit(fdOpened, { domain, pid, fd, resource: id });
    return fd;
  }
}
