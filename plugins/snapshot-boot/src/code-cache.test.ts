import { Simulation, type EventRecord } from '@chronovisor/core';
import { MmuQuery, createPartition, createSpace, mmuPlugin, write } from '@chronovisor/mmu';
import { cacheOpen, type CacheFingerprint } from './snapshot-commands';
import { snapshotBootPlugin } from './snapshot-boot-plugin';
import { SnapshotBootQuery } from './snapshot-query';

const PAGE = 4096;
const CACHE_GPA = 0x8000_0000;
const jdk = (version = '21.0.2'): CacheFingerprint => ({
  build: 'vm-1.4',
  options: { gc: 'g1' },
  components: [
    { name: 'java.base', version, bytes: 3 * PAGE + 100 },
    { name: 'app', version: '1.0', bytes: PAGE },
  ],
});

/** A machine with instances in two partitions, none of them opened a cache yet. */
function machine() {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 1024 }), snapshotBootPlugin()],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'a', frames: 256 });
  sim.dispatch(createPartition, { name: 'b', frames: 256 });
  const vm = (partition: string) => sim.dispatch(createSpace, { kind: 'vm', partition }).value!;
  const open = (space: number, fingerprint = jdk()) =>
    sim.dispatch(cacheOpen, { vm: space, path: '/var/cache/jdk.jsa', gpa: CACHE_GPA, fingerprint });
  const mmu = sim.get(MmuQuery);
  /** The host frames behind a VM's cache mapping. */
  const framesOf = (space: number) =>
    mmu
      .mappings(space)
      .filter((run) => run.va >= CACHE_GPA)
      .flatMap((run) => Array.from({ length: run.pages }, (_, i) => run.frame + i));
  return { sim, vm, open, mmu, framesOf, query: sim.get(SnapshotBootQuery) };
}

describe('the shared code cache', () => {
  it('is compiled by the first instance, and mapped by every compatible one: one physical copy', () => {
    const { vm, open, mmu, framesOf, query } = machine();
    const instances = [vm('a'), vm('a'), vm('b'), vm('a')];
    const used = () => mmu.stats().partitions.reduce((n, p) => n + p.used, 0);
    expect(open(instances[0]!).value).toBe(1);
    const afterFirst = used();
    for (const instance of instances.slice(1)) expect(open(instance).value).toBe(1);
    expect(used()).toBe(afterFirst); // no frame more for three more instances
    const frames = framesOf(instances[0]!);
    expect(frames).toHaveLength(5); // 3 pages and 100 bytes, then a page: 4 + 1
    for (const instance of instances) expect(framesOf(instance)).toEqual(frames);
    // Each frame: the store's mapping and the four instances', read-only.
    for (const frame of frames) {
      const { mappings, sharedWith } = mmu.owners(frame);
      expect(mappings.filter((m) => instances.includes(m.space))).toHaveLength(4);
      expect(
        mappings.filter((m) => instances.includes(m.space)).every((m) => !m.flags.includes('W')),
      ).toBe(true);
      expect(sharedWith).toEqual(['b']);
    }
    expect(query.caches()).toEqual([
      { path: '/var/cache/jdk.jsa', version: 1, pages: 5, instances, rebuilds: 0, corruptions: 0 },
    ]);
  });

  it('rebuilds for an incompatible instance, leaving the old version to those that mapped it', () => {
    const { vm, open, framesOf, query } = machine();
    const [old, updated] = [vm('a'), vm('a')];
    open(old);
    expect(open(updated, jdk('21.0.3')).value).toBe(2);
    expect(framesOf(updated)).not.toEqual(framesOf(old));
    expect(framesOf(old)).toHaveLength(5);
    expect(query.caches()[0]).toMatchObject({ version: 2, instances: [updated], rebuilds: 1 });
  });

  it('never maps a corrupted cache: it names the page and rebuilds', () => {
    const { sim, vm, open, framesOf, query } = machine();
    const first = vm('a');
    open(first);
    const store = sim.get(SnapshotBootQuery).caches()[0]!;
    expect(store.version).toBe(1);
    // A bit flips in the cache's file: its third page.
    const stored = [...sim.store.read(1)].find((r) => r.type === 'snapshot.cache.built')!;
    const { store: space, va } = (stored as { data: { store: number; va: number } }).data;
    sim.dispatch(write, { space, va: va + 2 * PAGE + 7, data: Uint8Array.of(0xff) });
    const next = vm('a');
    expect(open(next).value).toBe(2);
    const corrupt = [...sim.store.read(1)].find(
      (r): r is EventRecord => r.kind === 'event' && r.type === 'snapshot.cache.corrupt',
    );
    expect(corrupt).toMatchObject({ data: { version: 1, page: 2 } });
    expect(framesOf(next)).not.toEqual(framesOf(first));
    expect(query.caches()[0]).toMatchObject({ version: 2, corruptions: 1, instances: [next] });
    expect(sim.eventTypes.markOf(corrupt!)).toBe('violation');
  });
});
