import fc from 'fast-check';
import type {
  CheckpointImage,
  CheckpointMemoryRun,
  CheckpointProcess,
  CheckpointResource,
} from '../checkpoint-image';

const perms = fc.constantFrom('rw-', 'r--', 'r-x', 'rwx', '---', 'rw');

/** A frame index for an image of `frames` frames: one of them, or -1 (a zero page). */
const frameIndex = (frames: number) => fc.integer({ min: -1, max: frames - 1 });

/**
 * Valid checkpoint images of every shape: up to 5 processes forming a tree (each parent an
 * earlier process, or outside), zombies, groups and sessions led by processes that may not be in
 * the image, memory runs with gaps and shared or zero pages, files, pipes with bytes, shm
 * segments attached where no memory run is, descriptors naming any resource.
 */
export const checkpointImageArb: fc.Arbitrary<CheckpointImage> = fc
  .record({
    pageSize: fc.constantFrom(512, 1024),
    frameCount: fc.nat(4),
    pids: fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 }),
    resourceCount: fc.nat(4),
    name: fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }),
    domain: fc.string({ minLength: 1, maxLength: 32, unit: 'binary' }),
  })
  .chain(({ pageSize, frameCount, pids, resourceCount, name, domain }) => {
    const sorted = [...pids].sort((a, b) => a - b);
    const frames = fc.array(fc.uint8Array({ minLength: pageSize, maxLength: pageSize }), {
      minLength: frameCount,
      maxLength: frameCount,
    });
    const resource = (id: number): fc.Arbitrary<CheckpointResource> =>
      fc.oneof(
        fc.record({
          id: fc.constant(id),
          kind: fc.constant('file' as const),
          path: fc.string({ minLength: 1, maxLength: 20 }),
          offset: fc.nat(),
          flags: fc.constantFrom('', 'O_RDONLY', 'O_WRONLY|O_APPEND'),
        }),
        fc.record({
          id: fc.constant(id),
          kind: fc.constant('pipe' as const),
          buffered: fc.uint8Array({ maxLength: 40 }),
        }),
        fc.record({
          id: fc.constant(id),
          kind: fc.constant('shm' as const),
          key: fc.string({ minLength: 1, maxLength: 12 }),
          frames: fc.array(frameIndex(frameCount), { maxLength: 3 }),
        }),
      );
    const ids = fc
      .uniqueArray(fc.integer({ min: 1, max: 50 }), {
        minLength: resourceCount,
        maxLength: resourceCount,
      })
      .map((chosen) => [...chosen].sort((a, b) => a - b));
    return fc
      .record({ frames, ids, rootAt: fc.nat(sorted.length - 1) })
      .chain(({ frames, ids, rootAt }) =>
        fc
          .record({
            resources: fc.tuple(...ids.map(resource)),
            processes: fc.tuple(
              ...sorted.map((pid, i) =>
                processArb(pid, sorted.slice(0, i), ids, pageSize, frameCount),
              ),
            ),
          })
          .map(({ resources, processes }): CheckpointImage => ({
            format: 1,
            name,
            pageSize,
            domain,
            root: sorted[rootAt]!,
            processes: attachSegments(processes, resources, pageSize),
            resources,
            frames,
          })),
      );
  });

/** A process `pid` whose parent is one of `earlier` or outside, its fds naming `ids`. */
function processArb(
  pid: number,
  earlier: readonly number[],
  ids: readonly number[],
  pageSize: number,
  frameCount: number,
): fc.Arbitrary<CheckpointProcess & { attach: number[] }> {
  const run = fc.record({
    gap: fc.nat(3),
    pages: fc.integer({ min: 1, max: 3 }),
    perms,
    frames: fc.array(frameIndex(frameCount), { minLength: 3, maxLength: 3 }),
  });
  return fc
    .record({
      ppid: earlier.length > 0 ? fc.constantFrom(0, ...earlier) : fc.constant(0),
      pgid: fc.integer({ min: 1, max: 300 }),
      sid: fc.integer({ min: 1, max: 300 }),
      zombie: fc.option(fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }), {
        nil: undefined,
      }),
      runs: fc.array(run, { maxLength: 3 }),
      fds: fc.uniqueArray(fc.nat(20), { maxLength: ids.length > 0 ? 4 : 0 }),
      fdResources: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      attach: fc.array(fc.nat(), { maxLength: ids.length > 0 ? 2 : 0 }),
    })
    .map(({ ppid, pgid, sid, zombie, runs, fds, fdResources, attach }) => {
      let next = 0;
      const memory = runs.map(({ gap, pages, perms, frames }): CheckpointMemoryRun => {
        const va = next + gap * pageSize;
        next = va + pages * pageSize;
        return { va, pages, perms, frames: frames.slice(0, pages) };
      });
      return {
        pid,
        ppid,
        pgid,
        sid,
        // `zombie`: undefined for a running process; a zombie with or without its exit code.
        ...(zombie === undefined
          ? { state: 'running' as const }
          : { state: 'zombie' as const, ...(zombie === null ? {} : { exitCode: zombie }) }),
        memory: memory.reverse(),
        fds: fds.map((fd, k) => ({ fd, resource: ids[fdResources[k]! % ids.length]! })),
        attach,
      };
    });
}

/** The processes with `attach` made into shm attachments, placed after every memory run. */
function attachSegments(
  processes: readonly (CheckpointProcess & { attach: number[] })[],
  resources: readonly CheckpointResource[],
  pageSize: number,
): CheckpointProcess[] {
  const segments = resources.filter((r) => r.kind === 'shm');
  return processes.map(({ attach, ...p }) => {
    let next = Math.max(0, ...p.memory.map((run) => run.va + run.pages * pageSize)) + pageSize;
    const shm = segments.length === 0 ? [] : attach.map((n) => segments[n % segments.length]!);
    return shm.length === 0
      ? p
      : {
          ...p,
          shm: shm.map((segment) => {
            const va = next;
            next += (segment.frames.length + 1) * pageSize;
            return { resource: segment.id, va };
          }),
        };
  });
}
