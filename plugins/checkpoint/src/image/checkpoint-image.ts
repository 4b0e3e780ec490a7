import { address, bytes, pageCount, perms } from '@chronovisor/mmu';
import { z } from 'zod';
import { hex } from './layout';

/** The image format this code writes and reads: the header's version and the manifest's `format`. */
export const CHECKPOINT_FORMAT = 2;
/** The formats this version reads: 1 is 2 without the plugins' state of each space. */
export const CHECKPOINT_FORMATS = [1, 2] as const;
/** The page sizes an image may have: powers of two from 512 bytes (a disk sector) to 2 MiB. */
export const MIN_PAGE_SIZE = 512;
export const MAX_PAGE_SIZE = 2 ** 21;
/** Where virtual memory ends: the MMU's address bound, so every address is exact in a double. */
const VA_LIMIT = 2 ** 52;
/** The largest pid and fd: those of a C `int` (pid_t). */
const INT_MAX = 2 ** 31 - 1;
/** The largest frame index: the header's frame count is a u32. */
const MAX_FRAME_INDEX = 2 ** 32 - 2;

/**
 * A checkpointed process tree (after CRIU and US7275183B2): the processes, what their descriptors
 * name, and their pages. Data only; the plugin takes and restores it. Checked with
 * {@link checkpointImageSchema} before it is encoded and after it is decoded.
 */
export interface CheckpointImage {
  /** 2, as written now; 1 for an image read from a file of format 1 (no `spaceState`). */
  readonly format: 1 | 2;
  /** The checkpoint's name, 1..128 characters. */
  readonly name: string;
  /** A power of two, 512..2^21. */
  readonly pageSize: number;
  /** The pid namespace it was taken from, 1..64 characters. */
  readonly domain: string;
  /** The pid of the tree's root: a process in `processes`. */
  readonly root: number;
  /** In ascending pid, each pid ≥ 1 and listed once. */
  readonly processes: readonly CheckpointProcess[];
  /** In ascending id, each id ≥ 1 and listed once. */
  readonly resources: readonly CheckpointResource[];
  /**
   * Page contents, each stored once however many processes' pages share it (copy-on-write, shared
   * memory). Each `pageSize` bytes.
   */
  readonly frames: readonly Uint8Array[];
}

/** One process of the tree. */
export interface CheckpointProcess {
  readonly pid: number;
  /** Its parent's pid, or 0: the root's parent is outside the tree. */
  readonly ppid: number;
  /**
   * Its process group and session. Any pid ≥ 1: a leader that is not in the image (a dead session
   * leader) is a normal case, which a restore recreates as a helper, as CRIU does.
   */
  readonly pgid: number;
  readonly sid: number;
  readonly state: 'running' | 'zombie';
  /** A zombie's exit status, 0..255; never on a running process. */
  readonly exitCode?: number;
  /** Its memory as runs of pages: `frames[i]` indexes the image's `frames`, or is -1 for a page that is zero. */
  readonly memory: readonly CheckpointMemoryRun[];
  /** Its descriptor table: fd → resource id, each fd once. */
  readonly fds: readonly { readonly fd: number; readonly resource: number }[];
  /**
   * The shared memory segments it has attached: a `shm` resource and the page-aligned va where
   * the segment's pages begin. Those pages are the segment's (its `frames`) and are not listed in
   * `memory`, so that a restore maps the one segment into every process attached to it.
   */
  readonly shm?: readonly { readonly resource: number; readonly va: number }[];
  /**
   * What plugins keep about its space besides its memory, by the name of each part (`heap`: its
   * heap): plain JSON data, which a restore gives back to the plugin that keeps that part
   * (format 2).
   */
  readonly spaceState?: Readonly<Record<string, unknown>>;
}

/** A run of a process's pages: `va` page-aligned, one entry of `frames` per page. */
export interface CheckpointMemoryRun {
  readonly va: number;
  readonly pages: number;
  readonly perms: string;
  /** Supervisor pages (no user bit: a handle table's), format 2. */
  readonly kernel?: true;
  readonly frames: readonly number[];
}

/** What descriptors name: an open file, a pipe with the bytes it held, a shared memory segment. */
export type CheckpointResource =
  | {
      readonly id: number;
      readonly kind: 'file';
      readonly path: string;
      readonly offset: number;
      readonly flags: string;
    }
  | { readonly id: number; readonly kind: 'pipe'; readonly buffered: Uint8Array }
  | {
      readonly id: number;
      readonly kind: 'shm';
      readonly key: string;
      /** Indexes into the image's `frames`, or -1 for a page that is zero. */
      readonly frames: readonly number[];
    };

/** A resource as the manifest holds it: a pipe's bytes as base64 (see FORMAT.md). */
export type ManifestResource =
  | Exclude<CheckpointResource, { readonly kind: 'pipe' }>
  | { readonly id: number; readonly kind: 'pipe'; readonly buffered: string };

/** The manifest of an image file: the image without its frames, bytes as base64. */
export interface CheckpointManifest extends Omit<CheckpointImage, 'frames' | 'resources'> {
  readonly resources: readonly ManifestResource[];
}

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));

const pageSize = z
  .number()
  .int()
  .min(MIN_PAGE_SIZE)
  .max(MAX_PAGE_SIZE)
  .refine(isPowerOfTwo, 'must be a power of two');
const pid = z.number().int().min(1).max(INT_MAX);
const resourceId = z.number().int().min(1);
/** An index into the image's frames, or -1 for a page that is zero. */
const frameIndex = z.number().int().min(-1).max(MAX_FRAME_INDEX);

const processSchema = z.strictObject({
  pid,
  ppid: z.number().int().min(0).max(INT_MAX),
  pgid: pid,
  sid: pid,
  state: z.enum(['running', 'zombie']),
  exitCode: z.number().int().min(0).max(255).optional(),
  memory: z.array(
    z.strictObject({
      va: address,
      pages: pageCount,
      perms,
      kernel: z.literal(true).optional(),
      frames: z.array(frameIndex),
    }),
  ),
  fds: z.array(z.strictObject({ fd: z.number().int().min(0).max(INT_MAX), resource: resourceId })),
  shm: z.array(z.strictObject({ resource: resourceId, va: address })).optional(),
  spaceState: z
    .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a plugin part name'), z.json())
    .optional(),
});

const fileResource = z.strictObject({
  id: resourceId,
  kind: z.literal('file'),
  path: z.string().min(1),
  offset: z.number().int().min(0),
  flags: z.string(),
});
const shmResource = z.strictObject({
  id: resourceId,
  kind: z.literal('shm'),
  key: z.string().min(1),
  frames: z.array(frameIndex),
});
const pipeResource = z.strictObject({ id: resourceId, kind: z.literal('pipe'), buffered: bytes });

/** Base64 exactly as the encoder writes it (standard alphabet, padded), so it reads back the same. */
const base64 = z
  .string()
  .refine(
    (text) => Buffer.from(text, 'base64').toString('base64') === text,
    'is not base64 as the encoder writes it (standard alphabet, padded)',
  );

const fields = {
  format: z.union([z.literal(1), z.literal(2)]),
  name: z.string().min(1).max(128),
  pageSize,
  domain: z.string().min(1).max(64),
  root: pid,
  processes: z.array(processSchema),
};

/** One problem found by a check that spans fields, for `ctx.addIssue`. */
export interface Problem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** The parts of an image or a manifest that the checks across fields read. */
interface Checked {
  readonly format: number;
  readonly pageSize: number;
  readonly root: number;
  readonly processes: readonly CheckpointProcess[];
  readonly resources: readonly {
    readonly id: number;
    readonly kind: string;
    readonly frames?: readonly number[];
  }[];
}

/**
 * What the field checks cannot see, given how many frames the image holds: order and uniqueness
 * of pids and resource ids, the tree's parents and root, exit codes, the memory runs' and
 * segments' alignment, sizes and overlaps, frame indexes in range, descriptors and attachments
 * naming resources (of the right kind).
 */
export function consistencyProblems(image: Checked, frameCount: number): Problem[] {
  const { pageSize } = image;
  const problems: Problem[] = [];
  const problem = (path: (string | number)[], message: string) => problems.push({ path, message });
  const frameInRange = (index: number, path: (string | number)[]) => {
    if (index >= frameCount)
      problem(
        path,
        `frame ${index} is out of range: the image has ${frameCount} frame${frameCount === 1 ? '' : 's'}`,
      );
  };

  const pids = new Map<number, number>(); // pid → ppid
  image.processes.forEach((p, i) => {
    const before = image.processes[i - 1];
    if (before && p.pid === before.pid)
      problem(['processes', i, 'pid'], `pid ${p.pid} duplicates the process before it`);
    else if (before && p.pid < before.pid)
      problem(
        ['processes', i, 'pid'],
        `pid ${p.pid} is out of order: it follows pid ${before.pid}, and processes go in ascending pid`,
      );
    pids.set(p.pid, p.ppid);
    if (p.spaceState !== undefined && image.format < 2)
      problem(
        ['processes', i, 'spaceState'],
        `format ${image.format} holds no plugin state of a space: that came with format 2`,
      );
    p.memory.forEach((run, k) => {
      if (run.kernel && image.format < 2)
        problem(
          ['processes', i, 'memory', k, 'kernel'],
          `format ${image.format} holds no supervisor pages: they came with format 2`,
        );
    });
  });
  const resources = new Map<number, Checked['resources'][number]>();
  image.resources.forEach((r, i) => {
    const before = image.resources[i - 1];
    if (before && r.id === before.id)
      problem(['resources', i, 'id'], `resource ${r.id} duplicates the resource before it`);
    else if (before && r.id < before.id)
      problem(
        ['resources', i, 'id'],
        `resource ${r.id} is out of order: it follows resource ${before.id}, and resources go in ascending id`,
      );
    resources.set(r.id, r);
    r.frames?.forEach((index, k) => frameInRange(index, ['resources', i, 'frames', k]));
  });

  // Parents are followed only through pids that are each one process's.
  const pidsSound = pids.size === image.processes.length;
  const inCycle = new Set<number>();
  const inNoCycle = new Set<number>();
  if (!pids.has(image.root)) problem(['root'], `pid ${image.root} is not a process of the image`);
  image.processes.forEach((p, i) => {
    const at = (...rest: (string | number)[]) => ['processes', i, ...rest];
    if (p.ppid !== 0 && !pids.has(p.ppid))
      problem(
        at('ppid'),
        `pid ${p.ppid} is not a process of the image (0 for a parent outside the tree)`,
      );
    else if (pidsSound && !inCycle.has(p.pid)) {
      const cycle = cycleFrom(p.pid, pids, inNoCycle);
      if (cycle) {
        for (const member of cycle) inCycle.add(member);
        problem(
          at('ppid'),
          `makes pid ${p.pid} its own ancestor (${[...cycle, p.pid].join(' → ')}): parents must form a tree`,
        );
      }
    }
    if (p.exitCode !== undefined && p.state !== 'zombie')
      problem(at('exitCode'), `is given for a running process: only a zombie has an exit code`);

    p.memory.forEach((run, j) => {
      if (run.va % pageSize !== 0)
        problem(at('memory', j, 'va'), `${hex(run.va)} is not aligned to the pageSize ${pageSize}`);
      else if (run.va + run.pages * pageSize > VA_LIMIT)
        problem(
          at('memory', j, 'pages'),
          `the run at ${hex(run.va)} ends past the 2^52-byte address space`,
        );
      if (run.frames.length !== run.pages)
        problem(
          at('memory', j, 'frames'),
          `lists ${run.frames.length} frame${run.frames.length === 1 ? '' : 's'} for ${run.pages} page${run.pages === 1 ? '' : 's'}: one for each`,
        );
      run.frames.forEach((index, k) => frameInRange(index, at('memory', j, 'frames', k)));
    });
    // Where its pages are: its memory runs and its segments, none over another.
    const spans = p.memory.map((run, j) => ({ va: run.va, pages: run.pages, part: 'memory', j }));
    p.shm?.forEach((attached, j) => {
      const segment = resources.get(attached.resource);
      if (!segment)
        problem(
          at('shm', j, 'resource'),
          `resource ${attached.resource} is not a resource of the image`,
        );
      else if (segment.kind !== 'shm')
        problem(
          at('shm', j, 'resource'),
          `resource ${attached.resource} is a ${segment.kind}, not a shared memory segment`,
        );
      if (attached.va % pageSize !== 0)
        problem(
          at('shm', j, 'va'),
          `${hex(attached.va)} is not aligned to the pageSize ${pageSize}`,
        );
      else if (segment?.frames)
        spans.push({ va: attached.va, pages: segment.frames.length, part: 'shm', j });
    });
    spans.sort((a, b) => a.va - b.va);
    let furthest: (typeof spans)[number] | undefined;
    for (const span of spans) {
      if (span.pages === 0) continue;
      if (furthest && span.va < furthest.va + furthest.pages * pageSize)
        problem(
          at(span.part, span.j),
          `overlaps ${furthest.part}[${furthest.j}] (which starts at ${hex(furthest.va)})`,
        );
      if (!furthest || span.va + span.pages * pageSize > furthest.va + furthest.pages * pageSize)
        furthest = span;
    }

    const fds = new Map<number, number>();
    p.fds.forEach((entry, j) => {
      const first = fds.get(entry.fd);
      if (first !== undefined)
        problem(at('fds', j, 'fd'), `fd ${entry.fd} duplicates fds[${first}]`);
      else fds.set(entry.fd, j);
      if (!resources.has(entry.resource))
        problem(
          at('fds', j, 'resource'),
          `resource ${entry.resource} is not a resource of the image`,
        );
    });
  });
  return problems;
}

/**
 * The pids met following parents up from `pid` until they come back to it, or undefined where
 * they leave the tree (or reach a cycle above it). `settled` keeps the pids known to be in no
 * cycle, so that checking every process is linear, however deep the tree.
 */
function cycleFrom(
  pid: number,
  parents: ReadonlyMap<number, number>,
  settled: Set<number>,
): number[] | undefined {
  if (settled.has(pid)) return undefined;
  const path: number[] = [];
  const onPath = new Set<number>();
  let at: number | undefined = pid;
  while (at !== undefined && at !== 0 && !settled.has(at) && !onPath.has(at)) {
    path.push(at);
    onPath.add(at);
    at = parents.get(at);
  }
  if (at === pid) return path;
  // Those before a cycle above are in none; the cycle's own pids are found from themselves.
  const end = at !== undefined && onPath.has(at) ? path.indexOf(at) : path.length;
  for (const passed of path.slice(0, end)) settled.add(passed);
  return undefined;
}

/**
 * The manifest as a file holds it, checked field by field. The checks across fields need the
 * header's frame count: see {@link consistencyProblems}.
 */
export const checkpointManifestSchema: z.ZodType<CheckpointManifest, CheckpointManifest> =
  z.strictObject({
    ...fields,
    resources: z.array(
      z.discriminatedUnion('kind', [
        fileResource,
        pipeResource.extend({ buffered: base64 }),
        shmResource,
      ]),
    ),
  });

/**
 * A whole image as the plugin holds it: the field checks, then those across fields, and every
 * frame `pageSize` bytes. Shared with the plugin's commands, so an image is checked the same way
 * wherever it enters.
 */
export const checkpointImageSchema: z.ZodType<CheckpointImage, CheckpointImage> = z
  .strictObject({
    ...fields,
    resources: z.array(z.discriminatedUnion('kind', [fileResource, pipeResource, shmResource])),
    frames: z.array(bytes),
  })
  .superRefine((image, ctx) => {
    for (const problem of consistencyProblems(image, image.frames.length))
      ctx.addIssue({ code: 'custom', ...problem });
    image.frames.forEach((frame, i) => {
      if (frame.length !== image.pageSize)
        ctx.addIssue({
          code: 'custom',
          path: ['frames', i],
          message: `frame ${i} has ${frame.length} bytes, not the pageSize ${image.pageSize}`,
        });
    });
  });

/** The manifest of `image`: the image without its frames, a pipe's bytes as base64. */
export function manifestOf(image: CheckpointImage): CheckpointManifest {
  const { format, name, pageSize, domain, root, processes, resources } = image;
  return {
    format,
    name,
    pageSize,
    domain,
    root,
    processes,
    resources: resources.map((r): ManifestResource =>
      r.kind === 'pipe' ? { ...r, buffered: Buffer.from(r.buffered).toString('base64') } : r,
    ),
  };
}

/** The image a manifest and its frames make: a pipe's bytes back from base64, in arrays of their own. */
export function imageOf(
  manifest: CheckpointManifest,
  frames: readonly Uint8Array[],
): CheckpointImage {
  return {
    ...manifest,
    resources: manifest.resources.map((r): CheckpointResource =>
      r.kind === 'pipe' ? { ...r, buffered: new Uint8Array(Buffer.from(r.buffered, 'base64')) } : r,
    ),
    frames,
  };
}
