import { write } from '@chronovisor/mmu';
import checkpointDefault, { checkpointPlugin } from './index';
import {
  checkpoint,
  exit,
  fork,
  migrate,
  open,
  pin,
  pipe,
  readFd,
  restore,
  setsid,
  shm,
  spawn,
  writeFd,
} from './proc-commands';
import { procMachine } from './test-support/proc-machine';

const VA = 0x40_0000;
const PAGE = 4096;

/** A small tree: a session leader, a forked worker sharing its memory copy-on-write and a pipe, a daemon in a session of its own, a zombie. */
function smallTree(where: 'host' | 'vm' = 'host') {
  const m = procMachine({}, where);
  const { run, sim } = m;
  const root = run(spawn, { domain: 'src', pages: 4, session: true });
  sim.dispatch(write, {
    space: m.query.process('src', root)!.space,
    va: VA,
    data: Uint8Array.of(1, 2, 3),
  });
  const [r, w] = run(pipe, { domain: 'src', pid: root });
  run(writeFd, { domain: 'src', pid: root, fd: w, data: Uint8Array.of(7, 7) });
  const log = run(open, { domain: 'src', pid: root, path: '/var/log/app', flags: 'a' });
  run(writeFd, { domain: 'src', pid: root, fd: log, data: new Uint8Array(100) });
  const worker = run(fork, { domain: 'src', pid: root });
  sim.dispatch(write, {
    space: m.query.process('src', worker)!.space,
    va: VA + PAGE,
    data: Uint8Array.of(9),
  });
  run(shm, { domain: 'src', pid: root, key: 'cache', pages: 2, va: 0x7000_0000 });
  run(shm, { domain: 'src', pid: worker, key: 'cache', pages: 2, va: 0x7100_0000 });
  sim.dispatch(write, {
    space: m.query.process('src', worker)!.space,
    va: 0x7100_0000,
    data: Uint8Array.of(5),
  });
  const daemon = run(spawn, { domain: 'src', parent: root, pages: 1 });
  run(setsid, { domain: 'src', pid: daemon });
  const zombie = run(spawn, { domain: 'src', parent: root, pages: 1 });
  run(exit, { domain: 'src', pid: zombie, code: 3 });
  return { ...m, root, worker, daemon, zombie, r, w, log };
}

describe('processes', () => {
  it('is the package default export', () => {
    expect(checkpointDefault).toBe(checkpointPlugin);
    expect(checkpointPlugin().manifest).toMatchObject({ prefix: 'proc' });
  });

  it('fork shares memory copy-on-write, groups, sessions and open descriptions', () => {
    const { query, root, worker, daemon, zombie, mmu, run } = smallTree();
    expect(query.processes('src')).toMatchObject([
      { pid: root, ppid: 0, pgid: root, sid: root, state: 'running' },
      { pid: worker, ppid: root, pgid: root, sid: root, state: 'running' },
      { pid: daemon, ppid: root, pgid: daemon, sid: daemon },
      { pid: zombie, ppid: root, state: 'zombie' },
    ]);
    const [a, b] = [root, worker].map((pid) => mmu.mappings(query.process('src', pid)!.space));
    expect(a![0]!.frame).toBe(b![0]!.frame); // page 0: one frame, copy-on-write
    // The pipe is one: what the parent wrote, the child reads.
    expect([...run(readFd, { domain: 'src', pid: worker, fd: 0, length: 10 })]).toEqual([7, 7]);
  });
});

describe('checkpoint and restore', () => {
  it('restores the tree elsewhere: identities, memory, copy-on-write and resource sharing as they were', () => {
    const m = smallTree();
    const { run, query, mmu, root, worker, daemon, zombie } = m;
    run(checkpoint, { domain: 'src', root, name: 'tree' });
    const image = query.image('tree')!;
    // Stored once each: pages 0, 2 and 3, shared copy-on-write by the two (2 and 3 are zero, but
    // shared: their sharing must come back); the worker's own page 1; the segment's two pages.
    // Not stored: the root's own page 1, which is zero.
    expect(image.frames).toHaveLength(6);
    expect(run(restore, { image: 'tree', domain: 'dst' })).toEqual([root, worker, daemon, zombie]);
    const identities = (d: string) => query.processes(d).map(({ space: _, fds: __, ...p }) => p);
    expect(identities('dst')).toEqual(identities('src'));
    // Every descriptor names the restored copy of what it named: one copy per resource.
    const renamed = new Map<number, number>();
    for (const p of query.processes('src'))
      for (const [fd, id] of Object.entries(p.fds)) {
        const copy = query.process('dst', p.pid)!.fds.get(Number(fd))!;
        expect(renamed.get(id) ?? copy).toBe(copy);
        renamed.set(id, copy);
      }
    expect(new Set(renamed.values()).size).toBe(renamed.size);
    for (const pid of [root, worker]) {
      const [src, dst] = ['src', 'dst'].map((d) => query.process(d, pid)!.space);
      expect(mmu.read(dst!, VA, 4 * PAGE)).toEqual(mmu.read(src!, VA, 4 * PAGE));
    }
    const frames = (d: string, pid: number) =>
      mmu.mappings(query.process(d, pid)!.space).map((r) => [r.va, r.frame]);
    expect(frames('dst', root)[0]![1]).toBe(frames('dst', worker)[0]![1]); // copy-on-write again
    // The restored pipe still holds its bytes, once, for both; the file's offset is kept.
    expect([...run(readFd, { domain: 'dst', pid: worker, fd: 0, length: 10 })]).toEqual([7, 7]);
    expect(run(readFd, { domain: 'dst', pid: root, fd: 0, length: 10 })).toHaveLength(0);
    const rootFds = query.process('dst', root)!.fds;
    const workerFds = query.process('dst', worker)!.fds;
    expect(rootFds.sortedEntries()).toEqual(workerFds.sortedEntries());
    expect(query.resource(rootFds.get(m.log)!)).toMatchObject({
      kind: 'file',
      offset: 100,
      refs: 2,
    });
    // The segment: one, mapped by both at their own addresses.
    const [segRoot, segWorker] = [root, worker].map((pid) => query.process('dst', pid)!.shm[0]!);
    expect(segRoot!.resource).toBe(segWorker!.resource);
    const rootSpace = query.process('dst', root)!.space;
    expect(mmu.read(rootSpace, 0x7000_0000, 1)).toEqual(Uint8Array.of(5)); // the worker's write, seen
    expect(query.stats().counts).toMatchObject({ checkpoints: 1, restores: 1 });
  });

  it('refuses a pid collision with a clear error, and restores nothing', () => {
    const { run, sim, root } = smallTree();
    run(checkpoint, { domain: 'src', root, name: 'tree' });
    const before = sim.digest();
    const refused = sim.dispatch(restore, { image: 'tree', domain: 'src' });
    expect(refused.rejection?.message).toMatch(/pid 1 is taken in domain src: image tree needs it/);
    expect(sim.digest()).toBe(before);
  });

  it('recreates a dead session leader as a helper, gone before the tree resumes', () => {
    const { run, query, root } = smallTree();
    const member = run(spawn, { domain: 'src', parent: root, pages: 1 });
    run(checkpoint, { domain: 'src', root: member, name: 'member' }); // its session leader is not in the tree
    run(restore, { image: 'member', domain: 'dst' });
    expect(query.processes('dst')).toMatchObject([{ pid: member, ppid: 0, pgid: root, sid: root }]);
    expect(query.stats().counts.helpers).toBe(1);
  });

  it.each(['host', 'vm'] as const)(
    'is all or nothing (domains over %s memory): a failure injected at any step leaves no trace',
    (where) => {
      const { run, sim, root, query } = smallTree(where);
      run(checkpoint, { domain: 'src', root, name: 'tree' });
      const before = sim.digest();
      let step = 0;
      for (; ; step++) {
        const result = sim.dispatch(restore, { image: 'tree', domain: 'dst', failAt: step });
        if (result.ok) break;
        expect(result.rejection!.message).toMatch(
          new RegExp(`Failure injected at step ${step} of the restore`),
        );
        expect(sim.digest()).toBe(before);
        expect(query.processes('dst')).toEqual([]);
      }
      expect(step).toBeGreaterThan(30); // every event and call of the restore was a failure point
      expect(query.processes('dst')).toHaveLength(4);
    },
  );
});

describe('migration', () => {
  it('by remap copies no byte and keeps the contents; by copy copies the whole memory', () => {
    const { run, query, mmu, sim } = procMachine();
    const a = run(spawn, { domain: 'src', pages: 8, session: true });
    const b = run(spawn, { domain: 'src', pages: 8, session: true });
    for (const pid of [a, b])
      sim.dispatch(write, {
        space: query.process('src', pid)!.space,
        va: VA + PAGE,
        data: Uint8Array.of(pid, 42),
      });
    const contents = (d: string, pid: number) =>
      mmu.read(query.process(d, pid)!.space, VA, 8 * PAGE);
    const before = [contents('src', a), contents('src', b)];
    const frames = mmu.mappings(query.process('src', a)!.space)[0]!.frame;
    run(migrate, { domain: 'src', pid: a, to: 'dst', mode: 'remap' });
    run(migrate, { domain: 'src', pid: b, to: 'dst', mode: 'copy' });
    expect([contents('dst', a), contents('dst', b)]).toEqual(before);
    expect(mmu.mappings(query.process('dst', a)!.space)[0]!.frame).toBe(frames); // the same frames
    const migrated = [...sim.store.read(1)].filter((r) => r.type === 'proc.process.migrated');
    expect(migrated).toMatchObject([
      { data: { mode: 'remap', bytesCopied: 0, framesRemapped: 8, pages: 8 } },
      { data: { mode: 'copy', bytesCopied: 8 * PAGE, framesRemapped: 0, pages: 8 } },
    ]);
  });

  it('refuses to remap pinned pages, naming them', () => {
    const { run, sim } = procMachine();
    const a = run(spawn, { domain: 'src', pages: 4, session: true });
    run(pin, { domain: 'src', pid: a, va: VA + PAGE, pages: 2 });
    expect(
      sim.dispatch(migrate, { domain: 'src', pid: a, to: 'dst', mode: 'remap' }).rejection?.message,
    ).toMatch(/2 pages at 0x401000 pinned by I\/O in flight: its frames cannot be remapped/);
    expect(sim.dispatch(migrate, { domain: 'src', pid: a, to: 'dst', mode: 'copy' }).ok).toBe(true);
  });
});
