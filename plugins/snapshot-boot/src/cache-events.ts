import { defineEvent, type DataOf } from '@chronovisor/core';
import { address, spaceId } from '@chronovisor/mmu';
import { z } from 'zod';

const count = z.number().int().min(0);
const hash = z.string().regex(/^[0-9a-f]{64}$/);

/** `snapshot.cache.built`: an instance compiled its components into a new version of the cache at `path`. */
export const cacheBuilt = defineEvent('snapshot.cache.built', {
  data: z
    .object({
      path: z.string().min(1),
      version: z.number().int().min(1),
      /** The compatibility fingerprint's hash, and why the cache was (re)built. */
      fingerprint: hash,
      reason: z.enum(['missing', 'incompatible', 'corrupt']),
      /** The VM whose instance compiled it. */
      vm: spaceId,
      /** The host space holding the cache's frames (its persistent storage), where, and how big. */
      store: spaceId,
      va: address,
      pages: count,
      /** SHA-256 of the compiled code, checked before every mapping. */
      checksum: hash,
    })
    .readonly(),
  description: 'A VM instance compiled its components into a new, mappable code cache.',
});

/** `snapshot.cache.mapped`: a compatible instance mapped the cache read-only: its frames, shared. */
export const cacheMapped = defineEvent('snapshot.cache.mapped', {
  data: z
    .object({
      path: z.string().min(1),
      version: z.number().int().min(1),
      vm: spaceId,
      gpa: address,
      pages: count,
    })
    .readonly(),
  description: 'A VM instance mapped a compatible code cache, sharing its frames.',
});

/** `snapshot.cache.corrupt`: a cache's bytes no longer match its checksum: never mapped, rebuilt. */
export const cacheCorrupt = defineEvent('snapshot.cache.corrupt', {
  data: z
    .object({
      path: z.string().min(1),
      version: z.number().int().min(1),
      /** The first page whose bytes differ from what was compiled, counted from the cache's start. */
      page: count,
      expected: hash,
      found: hash,
    })
    .readonly(),
  marks: 'violation',
  description: "A code cache's bytes no longer matched its checksum; it was rebuilt, not mapped.",
});

/** Payload of `snapshot.cache.built`. */
export type CacheBuilt = DataOf<typeof cacheBuilt>;

/** The code cache's event types. */
export const CACHE_EVENTS = [cacheBuilt, cacheMapped, cacheCorrupt] as const;
