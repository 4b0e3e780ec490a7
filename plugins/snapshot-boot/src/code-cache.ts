import { canonicalJson, sha256Hex, type CommandContext } from '@chronovisor/core';
import {
  MAX_ACCESS,
  MmuQuery,
  createSpace,
  exportCommand,
  map,
  share,
  write,
} from '@chronovisor/mmu';
import { inject } from 'inversify';
import { cacheBuilt, cacheCorrupt, cacheMapped } from './cache-events';
import type { CacheFingerprint } from './snapshot-commands';
import { SnapshotError } from './snapshot-error';
import { SnapshotBootState, type CodeCacheVersion } from './snapshot-state';

/** Where a cache's store keeps its pages. */
const STORE_VA = 0x1000_0000;

/**
 * "Compiles" a component: its code is a stream of SHA-256 blocks of its name and version, so the
 * same component always compiles to the same bytes, and different ones differ.
 */
function compile(fingerprint: CacheFingerprint, pageSize: number): Uint8Array {
  const pagesOf = (bytes: number) => Math.max(1, Math.ceil(bytes / pageSize));
  const total = fingerprint.components.reduce((n, c) => n + pagesOf(c.bytes), 0) * pageSize;
  const code = new Uint8Array(total);
  let at = 0;
  for (const { name, version, bytes } of fingerprint.components) {
    for (let block = 0, i = 0; i < bytes; block++) {
      const digest = Buffer.from(sha256Hex(`${name}@${version}:${block}`), 'hex');
      for (let j = 0; j < digest.length && i < bytes; j++, i++) code[at + i] = digest[j]!;
    }
    at += pagesOf(bytes) * pageSize;
  }
  return code;
}

/**
 * The persistent, mappable code cache of US8255922B1, as Java's CDS and OpenJ9's shared classes
 * cache work: the first VM instance to open a cache location compiles its components into a
 * mappable structure there (the pages of a host space standing for the file); a later instance
 * whose compatibility fingerprint (VM build, options, component versions) matches maps those same
 * frames read-only, so every compatible instance shares one physical copy. A mismatch builds a
 * new version; a cache whose bytes no longer match its checksum is never mapped, but rebuilt.
 */
export class CodeCache {
  constructor(
    @inject(SnapshotBootState) private readonly state: SnapshotBootState,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  open(
    vm: number,
    path: string,
    fingerprint: CacheFingerprint,
    gpa: number,
    context: CommandContext,
  ): number {
    const space = this.mmu.spaces().find((s) => s.id === vm);
    if (space?.kind !== 'vm')
      throw new SnapshotError(`Space ${vm} is not a VM: a code cache is opened by a VM instance`);
    const { pageSize } = this.mmu.config;
    if (gpa % pageSize !== 0)
      throw new SnapshotError(`gpa 0x${gpa.toString(16)} is not the start of a page`);
    const hash = sha256Hex(canonicalJson(fingerprint));
    let cache = this.state.cache(path);
    if (!cache)
      cache = this.build(vm, space.partition, path, fingerprint, hash, 'missing', context);
    else if (cache.fingerprint !== hash)
      cache = this.build(vm, space.partition, path, fingerprint, hash, 'incompatible', context);
    else if (!this.intact(cache, fingerprint, context))
      cache = this.build(vm, space.partition, path, fingerprint, hash, 'corrupt', context);
    const { store, va, pages, version } = cache;
    if (this.mmu.spaces().find((s) => s.id === store)?.partition !== space.partition)
      context.call(exportCommand, { space: store, va, pages, partition: space.partition });
    const shared = context.call(share, { from: store, va, pages, to: vm, toVa: gpa, perms: 'r-x' });
    if (!shared.ok)
      throw new SnapshotError(`The cache at ${path} could not be mapped into VM ${vm}`);
    context.emit(cacheMapped, { path, version, vm, gpa, pages });
    return version;
  }

  /** Whether the cache still holds what was compiled; if not, records which page differs. */
  private intact(
    cache: CodeCacheVersion,
    fingerprint: CacheFingerprint,
    context: CommandContext,
  ): boolean {
    const { pageSize } = this.mmu.config;
    const bytes = this.mmu.read(cache.store, cache.va, cache.pages * pageSize);
    const found = bytes ? sha256Hex(bytes) : '0'.repeat(64);
    if (found === cache.checksum) return true;
    const expected = compile(fingerprint, pageSize);
    let page = 0;
    while (page < cache.pages && bytes && sameBytes(bytes, expected, page * pageSize, pageSize))
      page++;
    context.emit(cacheCorrupt, {
      path: cache.path,
      version: cache.version,
      page,
      expected: cache.checksum,
      found,
    });
    return false;
  }

  private build(
    vm: number,
    partition: string,
    path: string,
    fingerprint: CacheFingerprint,
    hash: string,
    reason: 'missing' | 'incompatible' | 'corrupt',
    context: CommandContext,
  ): CodeCacheVersion {
    const { pageSize } = this.mmu.config;
    const code = compile(fingerprint, pageSize);
    const pages = code.length / pageSize;
    const store = context.call(createSpace, { kind: 'host', partition });
    context.call(map, {
      space: store,
      va: STORE_VA,
      pages,
      perms: 'rw-',
      kernel: false,
      lazy: false,
    });
    for (let at = 0; at < code.length; at += MAX_ACCESS)
      context.call(write, {
        space: store,
        va: STORE_VA + at,
        data: code.subarray(at, at + MAX_ACCESS),
      });
    const version = (this.state.cache(path)?.version ?? 0) + 1;
    context.emit(cacheBuilt, {
      path,
      version,
      fingerprint: hash,
      reason,
      vm,
      store,
      va: STORE_VA,
      pages,
      checksum: sha256Hex(code),
    });
    return this.state.cache(path)!;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) if (a[i] !== b[i]) return false;
  return true;
}
