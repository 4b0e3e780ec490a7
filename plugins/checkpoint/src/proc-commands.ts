import { defineCommand, returns } from '@chronovisor/core';
import { address, bytes, pageCount, partitionName, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';
import { checkpointImageSchema } from './image';

const domain = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lowercase letters, digits, - and _');
const pid = z.number().int().min(1);
const fd = z.number().int().min(0);
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be letters, digits, ., _ or -');

/** What a read got. */
export type ReadOutcome = { readonly ok: true; readonly bytes: number; readonly data?: Uint8Array };

/** `proc.domain`: a pid namespace whose processes take their frames from `partition`. */
export const createDomain = defineCommand('proc.domain', {
  args: z
    .strictObject({ name: domain, partition: partitionName.optional(), vm: spaceId.optional() })
    .refine((a) => (a.partition === undefined) !== (a.vm === undefined), {
      message: 'give either `partition` (a host pid namespace) or `vm` (a guest kernel inside it)',
    }),
  description:
    'Create pid namespace `name` over partition `partition`, or inside VM `vm` (its processes guest spaces).',
});

/** `proc.spawn`: a new process with `pages` pages of memory; a child of `parent` if given. */
export const spawn = defineCommand('proc.spawn', {
  args: z.strictObject({
    domain,
    parent: pid.optional(),
    pages: pageCount.max(4096).default(4),
    /** Start a session (and group) of its own, as setsid() right after; default: the parent's, or its own with no parent. */
    session: z.boolean().default(false),
  }),
  description:
    'Spawn a process in `domain` (a child of `parent`), with `pages` pages of memory; returns its pid.',
  returns: returns<number>(),
});

/** `proc.fork`: a child sharing the parent's memory copy-on-write, its group, session and descriptors. */
export const fork = defineCommand('proc.fork', {
  args: z.strictObject({ domain, pid }),
  description:
    'Fork process `pid`: memory copy-on-write, the same group, session and open descriptions; returns the child.',
  returns: returns<number>(),
});

/** `proc.setsid`: the process starts a session and a group of its own (not if it leads a group). */
export const setsid = defineCommand('proc.setsid', {
  args: z.strictObject({ domain, pid }),
  description: 'Make process `pid` the leader of a new session and process group.',
});

/** `proc.setpgid`: the process joins group `pgid` of its session (or starts group = its pid). */
export const setpgid = defineCommand('proc.setpgid', {
  args: z.strictObject({ domain, pid, pgid: pid }),
  description: 'Move process `pid` to process group `pgid` in its session.',
});

/** `proc.exit`: the process exits: memory and descriptors released, a zombie until reaped. */
export const exit = defineCommand('proc.exit', {
  args: z.strictObject({ domain, pid, code: z.number().int().min(0).max(255).default(0) }),
  description: 'Process `pid` exits with `code`; it stays a zombie until its parent waits for it.',
});

/** `proc.wait`: a parent reaps its zombie child. */
export const wait = defineCommand('proc.wait', {
  args: z.strictObject({ domain, pid, child: pid }),
  description: 'Process `pid` reaps its exited child `child`.',
});

/** `proc.open`: a new file description for `path`; returns the descriptor. */
export const open = defineCommand('proc.open', {
  args: z.strictObject({
    domain,
    pid,
    path: z.string().min(1).max(4096),
    flags: z
      .string()
      .regex(/^[rwa+]{1,3}$/)
      .default('r'),
  }),
  description: 'Open `path` in process `pid`; returns the lowest free descriptor.',
  returns: returns<number>(),
});

/** `proc.pipe`: a pipe; returns its read and write descriptors. */
export const pipe = defineCommand('proc.pipe', {
  args: z.strictObject({ domain, pid }),
  description: 'Make a pipe in process `pid`; returns its [read, write] descriptors.',
  returns: returns<[number, number]>(),
});

/** `proc.write`: writes through a descriptor: into a pipe's buffer, or at a file's offset. */
export const writeFd = defineCommand('proc.write', {
  args: z.strictObject({ domain, pid, fd, data: bytes }),
  description:
    "Write `data` through descriptor `fd` of process `pid` (a pipe's buffer, a file's offset).",
});

/** `proc.read`: reads through a descriptor: from a pipe's buffer, or moving a file's offset. */
export const readFd = defineCommand('proc.read', {
  args: z.strictObject({
    domain,
    pid,
    fd,
    length: z
      .number()
      .int()
      .min(1)
      .max(1 << 20),
  }),
  description: 'Read up to `length` bytes through descriptor `fd` of process `pid`.',
  returns: returns<Uint8Array>(),
});

/** `proc.shm`: maps shared memory segment `key` (made on first use, `pages` long) at `va`. */
export const shm = defineCommand('proc.shm', {
  args: z.strictObject({
    domain,
    pid,
    key: z.string().min(1).max(64),
    pages: pageCount.max(4096),
    va: address,
  }),
  description:
    'Attach shared memory segment `key` (`pages` pages, made if new) to process `pid` at `va`.',
});

/** `proc.pass`: sends a descriptor to another process (SCM_RIGHTS): the same open description. */
export const pass = defineCommand('proc.pass', {
  args: z.strictObject({ domain, pid, fd, to: pid }),
  description:
    "Give process `to` a descriptor for the open description behind `pid`'s `fd`; returns it.",
  returns: returns<number>(),
});

/** `proc.close`: closes a descriptor. */
export const close = defineCommand('proc.close', {
  args: z.strictObject({ domain, pid, fd }),
  description: 'Close descriptor `fd` of process `pid`.',
});

/** `proc.pin`: pins (or releases) pages of a process for I/O in flight: they cannot be moved. */
export const pin = defineCommand('proc.pin', {
  args: z.strictObject({
    domain,
    pid,
    va: address,
    pages: pageCount,
    pinned: z.boolean().default(true),
  }),
  description: 'Pin (or release) `pages` pages at `va` of process `pid`: I/O in flight.',
});

/** `proc.checkpoint`: the tree rooted at `root`, into image `name`. */
export const checkpoint = defineCommand('proc.checkpoint', {
  args: z.strictObject({ domain, root: pid, name }),
  description: 'Checkpoint the process tree rooted at `root` into image `name`.',
});

/** `proc.restore`: the tree of image `image`, in `domain`, all or nothing. */
export const restore = defineCommand('proc.restore', {
  args: z.strictObject({
    image: name,
    domain,
    /** For tests of all-or-nothing: fail on purpose after this many steps (events and calls) of the restore. */
    failAt: z.number().int().min(0).optional(),
  }),
  description:
    'Restore the tree of image `image` into `domain`: the tree, then shared resources once, then resume.',
  returns: returns<readonly number[]>(),
});

/** `proc.import`: a checkpoint image read from a file (see `readCheckpointFile`). */
export const importImage = defineCommand('proc.import', {
  args: z.strictObject({ image: checkpointImageSchema }),
  description: 'Store a checkpoint image read from a file under the name it gives.',
});

/** `proc.migrate`: moves a process to `to`, by remapping its frames or by copying its memory. */
export const migrate = defineCommand('proc.migrate', {
  args: z.strictObject({
    domain,
    pid,
    to: domain,
    mode: z.enum(['remap', 'copy']).default('remap'),
  }),
  description:
    'Migrate process `pid` to domain `to`, remapping its frames (no byte copied) or copying them.',
});

/** Every command type the plugin handles. */
export const PROC_COMMANDS = [
  createDomain,
  spawn,
  fork,
  setsid,
  setpgid,
  exit,
  wait,
  open,
  pipe,
  writeFd,
  readFd,
  shm,
  pass,
  close,
  pin,
  checkpoint,
  restore,
  importImage,
  migrate,
] as const;
