import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, bytes, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { checkpointImageSchema } from './image';

const pid = z.number().int().min(1);
const count = z.number().int().min(0);
const domain = z.string().min(1);
const resourceId = z.number().int().min(1);

/** How a process came to be. */
export const ORIGINS = ['spawn', 'fork', 'restore', 'helper'] as const;
export type ProcessOrigin = (typeof ORIGINS)[number];

/**
 * `proc.domain.created`: a pid namespace over a partition, its processes' spaces taking its
 * frames; or, with `vm`, a guest kernel's inside that VM, its processes guest spaces over the VM's
 * guest-physical memory (`partition` is then the VM's).
 */
export const domainCreated = defineEvent('proc.domain.created', {
  data: z.object({ name: domain, partition: partitionName, vm: spaceId.optional() }).readonly(),
  description: 'A pid namespace was created over a partition, or inside a VM.',
});

/** `proc.process.created`: a process was made, with its place in the tree and its address space. */
export const processCreated = defineEvent('proc.process.created', {
  data: z
    .object({
      domain,
      pid,
      /** 0: no parent in the domain. */
      ppid: count,
      pgid: pid,
      sid: pid,
      space: spaceId,
      origin: z.enum(ORIGINS),
    })
    .readonly(),
  description: 'A process was spawned, forked, restored, or made as a restore helper.',
});

/** `proc.process.regrouped`: a process moved to another group or started a session. */
export const processRegrouped = defineEvent('proc.process.regrouped', {
  data: z.object({ domain, pid, pgid: pid, sid: pid }).readonly(),
  description: 'A process joined another process group or started a session.',
});

/** `proc.process.exited`: a process exited: a zombie until reaped; its children go to `to`. */
export const processExited = defineEvent('proc.process.exited', {
  data: z
    .object({
      domain,
      pid,
      code: z.number().int().min(0).max(255),
      /** Its children, now the children of `to` (0: none left to take them). */
      orphans: z.array(pid).readonly(),
      to: count,
    })
    .readonly(),
  description: 'A process exited and became a zombie; its children were reparented.',
});

/** `proc.process.reaped`: a zombie was waited for and is gone. */
export const processReaped = defineEvent('proc.process.reaped', {
  data: z.object({ domain, pid }).readonly(),
  description: 'A zombie process was reaped.',
});

/** A resource as made: its kind and what it starts with. */
const resource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), path: z.string().min(1), flags: z.string(), offset: count }),
  z.object({ kind: z.literal('pipe') }),
  z.object({
    kind: z.literal('shm'),
    key: z.string().min(1),
    pages: count,
    /** The host space holding the segment's frames, and where. */
    store: spaceId,
    va: address,
  }),
]);

/** `proc.resource.created`: a file description, pipe or shared memory segment. */
export const resourceCreated = defineEvent('proc.resource.created', {
  data: z.object({ id: resourceId, domain, resource }).readonly(),
  description: 'A file description, pipe or shared memory segment was made.',
});

/** `proc.fd.opened`: a process's descriptor now names a resource (opened, inherited or passed). */
export const fdOpened = defineEvent('proc.fd.opened', {
  data: z.object({ domain, pid, fd: count, resource: resourceId }).readonly(),
  description: "A descriptor in a process's table was made to name a resource.",
});

/** `proc.fd.closed`: a descriptor was closed; the resource goes with its last descriptor. */
export const fdClosed = defineEvent('proc.fd.closed', {
  data: z.object({ domain, pid, fd: count, resource: resourceId, last: z.boolean() }).readonly(),
  description: 'A descriptor was closed.',
});

/** `proc.pipe.written`: bytes went into a pipe's buffer. */
export const pipeWritten = defineEvent('proc.pipe.written', {
  data: z.object({ resource: resourceId, data: bytes }).readonly(),
  description: "Bytes were written into a pipe's buffer.",
});

/** `proc.pipe.read`: bytes were taken from the front of a pipe's buffer. */
export const pipeRead = defineEvent('proc.pipe.read', {
  data: z.object({ resource: resourceId, length: count }).readonly(),
  description: "Bytes were read from a pipe's buffer.",
});

/** `proc.file.advanced`: a file description's offset moved (a read or write through it). */
export const fileAdvanced = defineEvent('proc.file.advanced', {
  data: z.object({ resource: resourceId, offset: count }).readonly(),
  description: "A file description's offset moved.",
});

/** `proc.shm.attached`: a shared memory segment was mapped into a process. */
export const shmAttached = defineEvent('proc.shm.attached', {
  data: z.object({ domain, pid, resource: resourceId, va: address }).readonly(),
  description: 'A shared memory segment was mapped into a process.',
});

/** `proc.pages.pinned` / `unpinned`: pages with I/O in flight, which cannot be moved. */
export const pagesPinned = defineEvent('proc.pages.pinned', {
  data: z.object({ domain, pid, va: address, pages: count, pinned: z.boolean() }).readonly(),
  description: 'Pages of a process were pinned for I/O in flight, or released.',
});

/** `proc.image.stored`: a checkpoint of a process tree, in the simulated host's storage. */
export const imageStored = defineEvent('proc.image.stored', {
  data: z.object({ image: checkpointImageSchema }).readonly(),
  description: 'A process tree was checkpointed into an image.',
});

/** `proc.tree.restored`: a tree came back from an image and resumed, its invariants checked. */
export const treeRestored = defineEvent('proc.tree.restored', {
  data: z
    .object({
      domain,
      image: z.string().min(1),
      pids: z.array(pid).readonly(),
      /** Helpers made for dead session or group leaders, gone again before the tree resumed. */
      helpers: z.array(pid).readonly(),
      /** Resources restored, each once: old id → new id, in the image's order. */
      resources: z.array(z.tuple([resourceId, resourceId]).readonly()).readonly(),
    })
    .readonly(),
  description: 'A process tree was restored from an image and resumed.',
});

/** `proc.process.migrated`: a process moved to another domain's address space. */
export const processMigrated = defineEvent('proc.process.migrated', {
  data: z
    .object({
      from: domain,
      to: domain,
      pid,
      mode: z.enum(['remap', 'copy']),
      space: spaceId,
      pages: count,
      /** Bytes copied (0 for a remap) and frames moved by remapping (0 for a copy). */
      bytesCopied: count,
      framesRemapped: count,
      micros: z.number().min(0),
    })
    .readonly(),
  description: 'A process was migrated to another domain, by remapping its frames or by copying.',
});

/** Payload of `proc.process.created`. */
export type ProcessCreated = DataOf<typeof processCreated>;
/** A resource as `proc.resource.created` makes it. */
export type ResourceSpec = DataOf<typeof resourceCreated>['resource'];

/** Every event type the plugin emits. */
export const PROC_EVENTS = [
  domainCreated,
  processCreated,
  processRegrouped,
  processExited,
  processReaped,
  resourceCreated,
  fdOpened,
  fdClosed,
  pipeWritten,
  pipeRead,
  fileAdvanced,
  shmAttached,
  pagesPinned,
  imageStored,
  treeRestored,
  processMigrated,
] as const;
