import { PersistentMap, digestOf, on, type Projection } from '@chronovisor/core';
import { inject } from 'inversify';
import type { CheckpointImage } from './image';
import {
  domainCreated,
  fdClosed,
  fdOpened,
  fileAdvanced,
  imageStored,
  pagesPinned,
  pipeRead,
  pipeWritten,
  processCreated,
  processExited,
  processMigrated,
  processReaped,
  processRegrouped,
  resourceCreated,
  shmAttached,
  treeRestored,
  type ResourceSpec,
} from './proc-events';
import { ProcConfig } from './proc-options';

/** A process, as its domain's kernel keeps it. */
export interface Process {
  readonly domain: string;
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly space: number;
  readonly state: 'running' | 'zombie';
  readonly exitCode?: number;
  /** Its descriptor table: fd → resource id. */
  readonly fds: PersistentMap<number, number>;
  /** Shared memory segments it has mapped, and where. */
  readonly shm: readonly { readonly resource: number; readonly va: number }[];
  /** Ranges pinned by I/O in flight. */
  readonly pinned: readonly { readonly va: number; readonly pages: number }[];
}

/** A resource processes share: a file description, a pipe, a shared memory segment. */
export type Resource = ResourceSpec & {
  readonly id: number;
  readonly domain: string;
  /** Descriptors naming it (a segment counts its attachments too). */
  readonly refs: number;
  /** A pipe's unread bytes. */
  readonly buffered?: Uint8Array;
};

/** What a snapshot of the process model holds: O(domains + images), the rest persistent. */
export interface ProcSnapshot {
  readonly domains: ReadonlyMap<string, string>;
  /** The VM of each domain inside one (absent for a run with none). */
  readonly vms?: ReadonlyMap<string, number>;
  readonly processes: PersistentMap<string, Process>;
  readonly resources: PersistentMap<number, Resource>;
  readonly images: ReadonlyMap<string, CheckpointImage>;
  readonly counts: Readonly<ProcCounts>;
}

/** What the run has done with processes, for the summary. */
export interface ProcCounts {
  resources: number;
  checkpoints: number;
  restores: number;
  helpers: number;
  remaps: number;
  copies: number;
  bytesCopied: number;
  framesRemapped: number;
}

const key = (domain: string, pid: number): string => `${domain}/${pid}`;

/**
 * Processes, their trees, sessions and groups, the resources they share, and the checkpoint
 * images taken of them: the checkpoint plugin's projection.
 */
export class ProcState implements Projection<ProcSnapshot> {
  readonly name = 'processes';

  private domains = new Map<string, string>();
  /** The VM (its stage-2 space) of each domain that runs inside one: its processes are guests. */
  private vms: ReadonlyMap<string, number> = new Map();
  private processes = PersistentMap.empty<string, Process>();
  private resources = PersistentMap.empty<number, Resource>();
  private images = new Map<string, CheckpointImage>();
  private counts: ProcCounts = {
    resources: 0,
    checkpoints: 0,
    restores: 0,
    helpers: 0,
    remaps: 0,
    copies: 0,
    bytesCopied: 0,
    framesRemapped: 0,
  };

  constructor(@inject(ProcConfig) readonly config: ProcConfig) {}

  readonly listeners = [
    on(domainCreated, ({ data }) => {
      this.domains = new Map(this.domains).set(data.name, data.partition);
      if (data.vm !== undefined) this.vms = new Map(this.vms).set(data.name, data.vm);
    }),
    on(processCreated, ({ data }) => {
      const { domain, pid, ppid, pgid, sid, space } = data;
      this.put({
        domain,
        pid,
        ppid,
        pgid,
        sid,
        space,
        state: 'running',
        fds: PersistentMap.empty(),
        shm: [],
        pinned: [],
      });
      if (data.origin === 'helper') this.count('helpers', 1);
    }),
    on(processRegrouped, ({ data }) =>
      this.update(data.domain, data.pid, (p) => ({ ...p, pgid: data.pgid, sid: data.sid })),
    ),
    on(processExited, ({ data }) => {
      // Its memory went with its address space; its segments are detached.
      for (const { resource } of this.process(data.domain, data.pid)!.shm)
        this.adjust(resource, -1);
      this.update(data.domain, data.pid, (p) => ({
        ...p,
        state: 'zombie',
        exitCode: data.code,
        shm: [],
        pinned: [],
      }));
      for (const orphan of data.orphans)
        this.update(data.domain, orphan, (p) => ({ ...p, ppid: data.to }));
    }),
    on(processReaped, ({ data }) => {
      this.processes = this.processes.delete(key(data.domain, data.pid));
    }),
    on(resourceCreated, ({ data }) => {
      const made: Resource = {
        ...data.resource,
        id: data.id,
        domain: data.domain,
        refs: 0,
        ...(data.resource.kind === 'pipe' ? { buffered: new Uint8Array(0) } : {}),
      };
      this.resources = this.resources.set(data.id, made);
      this.count('resources', 1);
    }),
    on(fdOpened, ({ data }) => {
      this.update(data.domain, data.pid, (p) => ({ ...p, fds: p.fds.set(data.fd, data.resource) }));
      this.adjust(data.resource, 1);
    }),
    on(fdClosed, ({ data }) => {
      this.update(data.domain, data.pid, (p) => ({ ...p, fds: p.fds.delete(data.fd) }));
      this.adjust(data.resource, -1);
    }),
    on(pipeWritten, ({ data }) =>
      this.change(data.resource, (r) => ({ ...r, buffered: concat(r.buffered!, data.data) })),
    ),
    on(pipeRead, ({ data }) =>
      this.change(data.resource, (r) => ({ ...r, buffered: r.buffered!.slice(data.length) })),
    ),
    on(fileAdvanced, ({ data }) =>
      this.change(data.resource, (r) => (r.kind === 'file' ? { ...r, offset: data.offset } : r)),
    ),
    on(shmAttached, ({ data }) => {
      this.update(data.domain, data.pid, (p) => ({
        ...p,
        shm: [...p.shm, { resource: data.resource, va: data.va }],
      }));
      this.adjust(data.resource, 1);
    }),
    on(pagesPinned, ({ data }) =>
      this.update(data.domain, data.pid, (p) => ({
        ...p,
        pinned: data.pinned
          ? [...p.pinned, { va: data.va, pages: data.pages }]
          : p.pinned.filter((r) => r.va !== data.va || r.pages !== data.pages),
      })),
    ),
    on(imageStored, ({ data }) => {
      this.images = new Map(this.images).set(data.image.name, data.image);
      this.count('checkpoints', 1);
    }),
    on(treeRestored, () => this.count('restores', 1)),
    on(processMigrated, ({ data }) => {
      const p = this.process(data.from, data.pid)!;
      this.processes = this.processes.delete(key(data.from, data.pid));
      // Its parent, group and session stay behind: in the target it leads a session of its own.
      const pid = data.pid;
      this.put({
        ...p,
        domain: data.to,
        space: data.space,
        ppid: 0,
        pgid: pid,
        sid: pid,
        pinned: [],
      });
      if (data.mode === 'remap') this.count('remaps', 1);
      else this.count('copies', 1);
      this.count('bytesCopied', data.bytesCopied);
      this.count('framesRemapped', data.framesRemapped);
    }),
  ];

  /** The partition a domain's processes take their frames from. */
  partitionOf(domain: string): string | undefined {
    return this.domains.get(domain);
  }

  /** The VM a domain runs inside, if it is a guest kernel's: its processes are guest spaces. */
  vmOf(domain: string): number | undefined {
    return this.vms.get(domain);
  }

  domainNames(): string[] {
    return [...this.domains.keys()].sort();
  }

  process(domain: string, pid: number): Process | undefined {
    return this.processes.get(key(domain, pid));
  }

  /** A domain's processes, by pid. */
  processesOf(domain: string): Process[] {
    const found: Process[] = [];
    for (const p of this.processes.values()) if (p.domain === domain) found.push(p);
    return found.sort((a, b) => a.pid - b.pid);
  }

  resource(id: number): Resource | undefined {
    return this.resources.get(id);
  }

  /** The shared memory segment `key` of a domain, if made. */
  segment(domain: string, key: string): Resource | undefined {
    for (const r of this.resources.values())
      if (r.kind === 'shm' && r.domain === domain && r.key === key) return r;
    return undefined;
  }

  image(name: string): CheckpointImage | undefined {
    return this.images.get(name);
  }

  allImages(): CheckpointImage[] {
    return [...this.images.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  get tally(): Readonly<ProcCounts> {
    return this.counts;
  }

  /** The next resource id. */
  get nextResource(): number {
    return this.counts.resources + 1;
  }

  snapshot(): ProcSnapshot {
    return {
      domains: this.domains,
      ...(this.vms.size > 0 ? { vms: this.vms } : {}),
      processes: this.processes,
      resources: this.resources,
      images: this.images,
      counts: { ...this.counts },
    };
  }

  restore(snapshot: ProcSnapshot): void {
    this.domains = snapshot.domains as Map<string, string>;
    this.vms = snapshot.vms ?? new Map();
    this.processes = snapshot.processes;
    this.resources = snapshot.resources;
    this.images = snapshot.images as Map<string, CheckpointImage>;
    this.counts = { ...snapshot.counts };
  }

  digest(): string {
    const processes = this.processes
      .sortedEntries()
      .map(([k, p]) => [
        k,
        p.ppid,
        p.pgid,
        p.sid,
        p.space,
        p.state,
        p.exitCode ?? null,
        p.fds.sortedEntries(),
        p.shm,
        p.pinned,
      ]);
    const resources = this.resources
      .sortedEntries()
      .map(([id, r]) => [id, { ...r, buffered: r.buffered ? [...r.buffered] : null }]);
    return digestOf([
      [...this.domains].sort(),
      // Only a run with domains inside VMs has these: the others keep the digests they had.
      ...(this.vms.size > 0 ? [[...this.vms].sort()] : []),
      processes,
      resources,
      [...this.images.keys()].sort(),
      this.counts,
    ]);
  }

  private put(p: Process): void {
    this.processes = this.processes.set(key(p.domain, p.pid), p);
  }

  private update(domain: string, pid: number, change: (p: Process) => Process): void {
    const p = this.processes.get(key(domain, pid));
    if (!p)
      throw new Error(`Process ${domain}/${pid} is not known: its proc.process.created is missing`);
    this.put(change(p));
  }

  private change(id: number, change: (r: Resource) => Resource): void {
    const r = this.resources.get(id);
    if (!r) throw new Error(`Resource ${id} is not known: its proc.resource.created is missing`);
    this.resources = this.resources.set(id, change(r));
  }

  private adjust(id: number, by: number): void {
    this.change(id, (r) => ({ ...r, refs: r.refs + by }));
  }

  private count(what: keyof ProcCounts, by: number): void {
    this.counts = { ...this.counts, [what]: this.counts[what] + by };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
