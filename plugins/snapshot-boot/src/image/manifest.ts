import { address, bytes, pageCount, perms } from '@chronovisor/mmu';
import { z } from 'zod';
import { hex } from './layout';
import { MemoryMap, placementProblem } from './memory-map';

/** The image format this code writes and reads: the header's version and the manifest's `format`. */
export const IMAGE_FORMAT = 1;
/** The page sizes an image may have: powers of two from 512 bytes (a disk sector) to 2 MiB. */
export const MIN_PAGE_SIZE = 512;
export const MAX_PAGE_SIZE = 2 ** 21;
/** Where guest-physical memory ends: the MMU's address bound, so every gpa is exact in a double. */
const GPA_LIMIT = 2 ** 52;

/** The manifest: what an image holds besides its pages. Checked with zod on read. */
export interface ImageManifest {
  readonly format: 1;
  /** The image's name, 1..128 characters. */
  readonly name: string;
  /** A power of two, 512..2^21. */
  readonly pageSize: number;
  /** The VM's guest-physical pages, as runs (gpa page-aligned, pages ≥ 1, perms like "rw-"). */
  readonly memory: readonly {
    readonly gpa: number;
    readonly pages: number;
    readonly perms: string;
  }[];
  /** Guest processes: each one's stage-1 mappings (va → gpa). */
  readonly guests: readonly {
    readonly mappings: readonly {
      readonly va: number;
      readonly gpa: number;
      readonly pages: number;
      readonly perms: string;
    }[];
  }[];
  /** vCPU and device state as the simulation models them: plain JSON from the capturer. */
  readonly vcpu: unknown;
  /** Where the guest keeps its identity (a random seed/token) that clones must not share; optional. */
  readonly identity?: { readonly gpa: number; readonly length: number };
}

/** A captured page: `pageSize` bytes at a page-aligned guest-physical address. */
export interface ImagePage {
  readonly gpa: number;
  readonly data: Uint8Array;
}

/** A captured VM: its manifest and its captured pages, in ascending gpa, each within `memory`. */
export interface SnapshotImage {
  readonly manifest: ImageManifest;
  readonly pages: readonly ImagePage[];
}

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));

/** The JSON values a manifest keeps verbatim. */
type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
interface JsonObject {
  readonly [key: string]: JsonValue;
}

/**
 * Where `value` stops being plain JSON, as a path below `path` and what was found there, or
 * undefined. Stricter than canonicalJson, which also takes Uint8Arrays: those would come back from
 * a file as `{"$bytes": …}` objects, so an image would not read back as it was written.
 * Properties that are `undefined` pass, as canonicalJson drops them.
 */
function jsonProblem(
  value: unknown,
  path: (string | number)[],
  ancestors: Set<object>,
): { readonly path: (string | number)[]; readonly found: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, found: String(value) };
    case 'object': {
      if (value === null) return undefined;
      if (ancestors.has(value)) return { path, found: 'a reference back to an enclosing value' };
      const proto: unknown = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (!isArray && proto !== Object.prototype && proto !== null)
        return { path, found: `an instance of ${value.constructor?.name ?? 'a class'}` };
      ancestors.add(value);
      try {
        const entries: [string | number, unknown][] = isArray
          ? Array.from(value as unknown[], (item, i) => [i, item])
          : Object.entries(value).filter(([, item]) => item !== undefined);
        for (const [key, item] of entries) {
          const problem = jsonProblem(item, [...path, key], ancestors);
          if (problem) return problem;
        }
      } finally {
        ancestors.delete(value);
      }
      return undefined;
    }
    default:
      return { path, found: value === undefined ? 'undefined' : `a ${typeof value}` };
  }
}

const plainJson = z
  .custom<JsonValue>((value) => value !== undefined, 'is missing: give null for no state')
  .superRefine((value, ctx) => {
    const problem = jsonProblem(value, [], new Set());
    if (problem)
      ctx.addIssue({
        code: 'custom',
        path: problem.path,
        message: `is ${problem.found}, which is not plain JSON`,
      });
  });

const pageSize = z
  .number()
  .int()
  .min(MIN_PAGE_SIZE)
  .max(MAX_PAGE_SIZE)
  .refine(isPowerOfTwo, 'must be a power of two');

const run = z.strictObject({ gpa: address, pages: pageCount, perms });
const mapping = z.strictObject({ va: address, gpa: address, pages: pageCount, perms });

/** One problem found by a check that spans fields, for `ctx.addIssue`. */
interface Problem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** What the field checks cannot see: alignment to `pageSize`, runs that overlap, the identity. */
function layoutProblems(manifest: ImageManifest): Problem[] {
  const { pageSize } = manifest;
  const problems: Problem[] = [];
  const aligned = (value: number, path: (string | number)[]): void => {
    if (value % pageSize !== 0)
      problems.push({ path, message: `${hex(value)} is not aligned to the pageSize ${pageSize}` });
  };
  manifest.memory.forEach((r, i) => {
    aligned(r.gpa, ['memory', i, 'gpa']);
    if (r.gpa + r.pages * pageSize > GPA_LIMIT)
      problems.push({
        path: ['memory', i, 'pages'],
        message: `the run at ${hex(r.gpa)} ends past the 2^52-byte guest-physical space`,
      });
  });
  const byGpa = manifest.memory.map((r, i) => ({ ...r, i })).sort((a, b) => a.gpa - b.gpa);
  for (let k = 1; k < byGpa.length; k++) {
    const [before, after] = [byGpa[k - 1]!, byGpa[k]!];
    if (after.gpa < before.gpa + before.pages * pageSize)
      problems.push({
        path: ['memory', after.i],
        message: `overlaps memory[${before.i}] (which starts at ${hex(before.gpa)})`,
      });
  }
  manifest.guests.forEach((guest, g) =>
    guest.mappings.forEach((m, k) => {
      aligned(m.va, ['guests', g, 'mappings', k, 'va']);
      aligned(m.gpa, ['guests', g, 'mappings', k, 'gpa']);
    }),
  );
  // Only over runs that are sound, or the question has no answer.
  const { identity } = manifest;
  if (identity && problems.length === 0) {
    const memory = new MemoryMap(manifest.memory, pageSize);
    if (!memory.covers(identity.gpa, identity.gpa + identity.length))
      problems.push({
        path: ['identity'],
        message: `${identity.length} bytes at ${hex(identity.gpa)} are not all within the memory runs`,
      });
  }
  return problems;
}

/**
 * The manifest as a file must hold it: the field checks, then those across fields. Shared with
 * the plugin's commands and events, so an image is checked the same way wherever it enters.
 */
export const imageManifestSchema: z.ZodType<ImageManifest, ImageManifest> = z
  .strictObject({
    format: z.literal(IMAGE_FORMAT),
    name: z.string().min(1).max(128),
    pageSize,
    memory: z.array(run),
    guests: z.array(z.strictObject({ mappings: z.array(mapping) })),
    vcpu: plainJson,
    identity: z.strictObject({ gpa: address, length: z.number().int().min(1) }).optional(),
  })
  .superRefine((manifest, ctx) => {
    for (const problem of layoutProblems(manifest)) ctx.addIssue({ code: 'custom', ...problem });
  });

/** A whole image: its manifest, and its pages placed and sized as the manifest says. */
export const snapshotImageSchema: z.ZodType<SnapshotImage, SnapshotImage> = z
  .strictObject({
    manifest: imageManifestSchema,
    pages: z.array(z.strictObject({ gpa: address, data: bytes })),
  })
  .superRefine(({ manifest, pages }, ctx) => {
    const memory = new MemoryMap(manifest.memory, manifest.pageSize);
    pages.forEach((page, i) => {
      const where = `page ${i} (gpa ${hex(page.gpa)})`;
      const problem = placementProblem(page.gpa, pages[i - 1]?.gpa, manifest.pageSize, memory);
      if (problem)
        ctx.addIssue({ code: 'custom', path: ['pages', i, 'gpa'], message: `${where} ${problem}` });
      if (page.data.length !== manifest.pageSize)
        ctx.addIssue({
          code: 'custom',
          path: ['pages', i, 'data'],
          message: `${where} has ${page.data.length} bytes, not the pageSize ${manifest.pageSize}`,
        });
    });
  });
