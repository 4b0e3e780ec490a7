import {
  Simulation,
  Xoshiro128StarStar,
  type CommandType,
  type InputOf,
  type ResultOf,
} from '@chronovisor/core';
import { MmuQuery, createPartition, createSpace, map, mmuPlugin, write } from '@chronovisor/mmu';
import fc from 'fast-check';
import { checkpointPlugin } from './checkpoint-plugin';
import {
  checkpoint,
  createDomain,
  exit,
  fork,
  migrate,
  restore,
  shm,
  spawn,
} from './proc-commands';
import { ProcQuery } from './proc-query';

const PAGE = 4096;
const VA = 0x40_0000;

/** Two VMs, each with 64 pages of guest-physical memory, and a guest kernel's domain in each. */
function vmMachine() {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 8192 }), checkpointPlugin()],
    seed: 1,
  });
  const run = <C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> => {
    const result = sim.dispatch(command, args);
    if (!result.ok) throw new Error(`${command.type} refused: ${result.rejection!.message}`);
    return result.value as ResultOf<C>;
  };
  const vms = ['a', 'b'].map((name) => {
    run(createPartition, { name, frames: 1000 });
    const vm = run(createSpace, { kind: 'vm', partition: name });
    run(map, { space: vm, va: 0, pages: 64 });
    return vm;
  });
  run(createDomain, { name: 'g1', vm: vms[0]! });
  run(createDomain, { name: 'g2', vm: vms[1]! });
  run(createPartition, { name: 'host', frames: 1000 });
  run(createDomain, { name: 'h', partition: 'host' });
  const procs = sim.get(ProcQuery);
  const mmu = sim.get(MmuQuery);
  const space = (domain: string, pid: number) => procs.process(domain, pid)!.space;
  /** A process's memory, page by page, as it reads it. */
  const memory = (domain: string, pid: number) =>
    mmu
      .mappings(space(domain, pid))
      .flatMap((r) =>
        Array.from({ length: r.pages }, (_, i) => [
          r.va + i * PAGE,
          [...mmu.read(space(domain, pid), r.va + i * PAGE, PAGE)!],
        ]),
      );
  /** The guest-physical pages a process's pages map to. */
  const gpas = (domain: string, pid: number) =>
    mmu
      .mappings(space(domain, pid))
      .flatMap((r) => Array.from({ length: r.pages }, (_, i) => (r.frame + i) * PAGE));
  /** The machine frames behind a process's pages: its own (host), or its VM's behind its guest-physical pages. */
  const frames = (domain: string, pid: number) => {
    const s = mmu.spaces().find((x) => x.id === space(domain, pid))!;
    const pages = mmu
      .mappings(s.id)
      .flatMap((r) => Array.from({ length: r.pages }, (_, i) => r.frame + i));
    if (s.vm === undefined) return pages;
    const stage2 = mmu.mappings(s.vm);
    return pages.map((gpaPage) => {
      const r = stage2.find(
        (x) => x.va <= gpaPage * PAGE && gpaPage * PAGE < x.va + x.pages * PAGE,
      )!;
      return r.frame + (gpaPage * PAGE - r.va) / PAGE;
    });
  };
  /** The guest-physical memory a VM's stage 2 maps, in pages. */
  const vmPages = (vm: number) => mmu.mappings(vm).reduce((n, r) => n + r.pages, 0);
  return { sim, run, procs, mmu, vms, space, memory, gpas, frames, vmPages };
}

describe('processes inside a VM', () => {
  it('are guest spaces over the VM’s memory, each with guest-physical pages of its own', () => {
    const m = vmMachine();
    const [a, b] = [
      m.run(spawn, { domain: 'g1', pages: 4 }),
      m.run(spawn, { domain: 'g1', pages: 3 }),
    ];
    expect(m.mmu.spaces().find((s) => s.id === m.space('g1', a))).toMatchObject({
      kind: 'guest',
      vm: m.vms[0],
    });
    expect(m.gpas('g1', a)).toEqual([0, PAGE, 2 * PAGE, 3 * PAGE]);
    expect(m.gpas('g1', b)).toEqual([4 * PAGE, 5 * PAGE, 6 * PAGE]);
    // A write lands in a frame of the VM's partition, through both stages.
    m.run(write, { space: m.space('g1', a), va: VA + 8, data: Uint8Array.of(7) });
    const pa = m.mmu.physicalAddress(m.space('g1', a), VA + 8)!;
    const partition = m.mmu.partitions().find((p) => p.name === 'a')!;
    expect(Math.floor(pa / PAGE)).toBeGreaterThanOrEqual(partition.base);
    expect(Math.floor(pa / PAGE)).toBeLessThan(partition.base + partition.frames);
    // An exited process's pages go back to the guest kernel: the next one gets the lowest.
    m.run(exit, { domain: 'g1', pid: a, code: 0 });
    const c = m.run(spawn, { domain: 'g1', pages: 2 });
    expect(m.gpas('g1', c)).toEqual([0, PAGE]);
    // The guest kernel's pick is the MMU's (mmu.map with no `to`), and so is its refusal.
    expect(m.sim.dispatch(spawn, { domain: 'g1', pages: 80 }).rejection?.message).toMatch(
      new RegExp(
        `^VM ${m.vms[0]} has 59 guest-physical pages free for guest space \\d+; 80 needed$`,
      ),
    );
  });

  it('fork shares the parent’s guest-physical pages copy-on-write, as the guest kernel does', () => {
    const m = vmMachine();
    const parent = m.run(spawn, { domain: 'g1', pages: 2 });
    m.run(write, { space: m.space('g1', parent), va: VA + PAGE + 3, data: Uint8Array.of(1, 2, 3) });
    const child = m.run(fork, { domain: 'g1', pid: parent });
    expect(m.memory('g1', child)).toEqual(m.memory('g1', parent));
    expect(m.gpas('g1', child)).toEqual(m.gpas('g1', parent));
    // The child's write gives it a guest-physical page of its own; the other stays shared.
    m.run(write, { space: m.space('g1', child), va: VA + PAGE + 3, data: Uint8Array.of(9) });
    expect(m.mmu.read(m.space('g1', parent), VA + PAGE + 3, 1)).toEqual(Uint8Array.of(1));
    const [shared, written] = [0, 1].map((i) => [m.gpas('g1', parent)[i], m.gpas('g1', child)[i]]);
    expect(shared![0]).toBe(shared![1]);
    expect(written![0]).not.toBe(written![1]);
  });

  it('checkpoints a tree in one VM and restores it in another: identities and memory as they were', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const m = vmMachine();
        const rng = new Xoshiro128StarStar(seed);
        const root = m.run(spawn, { domain: 'g1', pages: 2, session: true });
        const alive = [root];
        for (let i = 0; i < 12; i++) {
          const pid = alive[rng.nextInt(0, alive.length - 1)]!;
          const roll = rng.nextInt(0, 9);
          if (roll < 3 && alive.length < 6) alive.push(m.run(fork, { domain: 'g1', pid }));
          else if (roll < 4 && pid !== root) {
            m.run(exit, { domain: 'g1', pid, code: rng.nextInt(0, 255) });
            alive.splice(alive.indexOf(pid), 1);
          } else
            m.run(write, {
              space: m.space('g1', pid),
              va: VA + rng.nextInt(0, 2 * PAGE - 4),
              data: Uint8Array.of(rng.nextInt(1, 255), i),
            });
        }
        m.run(checkpoint, { domain: 'g1', root, name: 'tree' });
        const restored = m.run(restore, { image: 'tree', domain: 'g2' });
        const identities = (domain: string) =>
          m.procs
            .processes(domain)
            .map(({ pid, ppid, pgid, sid, state }) => ({ pid, ppid, pgid, sid, state }));
        expect(identities('g2')).toEqual(identities('g1'));
        for (const pid of alive) {
          expect(m.memory('g2', pid)).toEqual(m.memory('g1', pid));
          expect(m.mmu.spaces().find((s) => s.id === m.space('g2', pid))?.vm).toBe(m.vms[1]);
        }
        const byPid = (pids: readonly number[]) => [...pids].sort((x, y) => x - y);
        expect(byPid(restored)).toEqual(byPid(m.procs.processes('g1').map((p) => p.pid)));
      }),
      { numRuns: 25 },
    );
  });

  it('migrates by remap between VMs, into one and out of one: the same frames, no byte copied', () => {
    const m = vmMachine();
    const pid = m.run(spawn, { domain: 'g1', pages: 3, session: true });
    m.run(write, { space: m.space('g1', pid), va: VA + 5, data: Uint8Array.of(42) });
    const before = m.memory('g1', pid);
    const frames = m.frames('g1', pid);
    const [a, b] = m.vms as [number, number];
    // Between VMs: the frames leave VM a's stage 2 and join VM b's, above its 64 pages.
    m.run(migrate, { domain: 'g1', pid, to: 'g2', mode: 'remap' });
    expect(m.memory('g2', pid)).toEqual(before);
    expect(m.frames('g2', pid)).toEqual(frames);
    expect(m.gpas('g2', pid)).toEqual([64 * PAGE, 65 * PAGE, 66 * PAGE]);
    expect([m.vmPages(a), m.vmPages(b)]).toEqual([61, 67]);
    // Out of a VM into a host domain, and back into the first VM: still the same frames.
    m.run(migrate, { domain: 'g2', pid, to: 'h', mode: 'remap' });
    expect(m.memory('h', pid)).toEqual(before);
    expect(m.frames('h', pid)).toEqual(frames);
    expect(m.mmu.spaces().find((s) => s.id === m.space('h', pid))?.kind).toBe('host');
    m.run(migrate, { domain: 'h', pid, to: 'g1', mode: 'remap' });
    expect(m.memory('g1', pid)).toEqual(before);
    expect(m.frames('g1', pid)).toEqual(frames);
    expect([m.vmPages(a), m.vmPages(b)]).toEqual([64, 64]);
    // Its new guest-physical pages are the VM's: a process that exits gives them back.
    m.run(exit, { domain: 'g1', pid, code: 0 });
    expect(m.gpas('g1', m.run(spawn, { domain: 'g1', pages: 64 }))).toHaveLength(64);
    const migrated = [...m.sim.store.read(1)].filter((r) => r.type === 'proc.process.migrated');
    expect(migrated).toMatchObject(
      Array.from({ length: 3 }, () => ({
        data: { mode: 'remap', bytesCopied: 0, framesRemapped: 3 },
      })),
    );
  });

  it('migrates a forked child out of its VM by remap, its pages shared with the parent made its own first', () => {
    const m = vmMachine();
    const parent = m.run(spawn, { domain: 'g1', pages: 3 });
    m.run(write, { space: m.space('g1', parent), va: VA, data: Uint8Array.of(7, 7) });
    const child = m.run(fork, { domain: 'g1', pid: parent });
    m.run(write, { space: m.space('g1', child), va: VA + PAGE, data: Uint8Array.of(8) }); // its own
    const [parentMemory, childMemory] = [parent, child].map((pid) => m.memory('g1', pid));
    m.run(migrate, { domain: 'g1', pid: child, to: 'g2', mode: 'remap' });
    expect(m.memory('g2', child)).toEqual(childMemory);
    expect(m.memory('g1', parent)).toEqual(parentMemory); // its pages stayed behind, whole
    // Two pages were still shared: each was copied once, in the VM, before the remap.
    const [migrated] = [...m.sim.store.read(1)].filter((r) => r.type === 'proc.process.migrated');
    expect(migrated).toMatchObject({
      data: { mode: 'remap', bytesCopied: 2 * PAGE, framesRemapped: 3 },
    });
  });

  it('keeps a process’s memory through any chain of migrations, remapping its frames unchanged', () => {
    const domains = ['g1', 'g2', 'h'] as const;
    const step = fc.record({
      to: fc.constantFrom(...domains),
      mode: fc.constantFrom('remap' as const, 'copy' as const),
      page: fc.nat({ max: 3 }),
      byte: fc.nat({ max: 255 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const m = vmMachine();
        const pid = m.run(spawn, { domain: 'g1', pages: 4, session: true });
        let at: string = 'g1';
        /** The VMs' guest-physical memory, in pages: a remap out of a VM takes its 4 pages away. */
        let vmMemory = 128;
        for (const { to, mode, page, byte } of steps) {
          m.run(write, {
            space: m.space(at, pid),
            va: VA + page * PAGE + 7,
            data: Uint8Array.of(byte),
          });
          if (to === at) continue;
          const before = m.memory(at, pid);
          const frames = m.frames(at, pid);
          m.run(migrate, { domain: at, pid, to, mode });
          if (mode === 'remap') vmMemory += (to === 'h' ? -4 : 0) + (at === 'h' ? 4 : 0);
          at = to;
          expect(m.memory(at, pid)).toEqual(before);
          if (mode === 'remap') expect(m.frames(at, pid)).toEqual(frames);
          else expect(m.frames(at, pid).some((f) => frames.includes(f))).toBe(false);
        }
        // Remaps moved guest-physical memory between the VMs and out and in, and copies none.
        expect(m.vmPages(m.vms[0]!) + m.vmPages(m.vms[1]!)).toBe(vmMemory);
      }),
      { numRuns: 30 },
    );
  });

  it('migrates by copy between VMs and out of one', () => {
    const m = vmMachine();
    const pid = m.run(spawn, { domain: 'g1', pages: 3, session: true });
    m.run(write, { space: m.space('g1', pid), va: VA + 5, data: Uint8Array.of(42) });
    const before = m.memory('g1', pid);
    m.run(migrate, { domain: 'g1', pid, to: 'g2', mode: 'copy' });
    expect(m.memory('g2', pid)).toEqual(before);
    // And out of a VM into a host domain, by copy.
    m.run(migrate, { domain: 'g2', pid, to: 'h', mode: 'copy' });
    expect(m.memory('h', pid)).toEqual(before);
    expect(m.mmu.spaces().find((s) => s.id === m.space('h', pid))?.kind).toBe('host');
  });

  it('shares a segment between processes of a VM, and restores it shared in another VM or a host', () => {
    const m = vmMachine();
    const SEG = 0x70_0000;
    const root = m.run(spawn, { domain: 'g1', pages: 1, session: true });
    const child = m.run(spawn, { domain: 'g1', parent: root, pages: 1 });
    m.run(shm, { domain: 'g1', pid: root, key: '/cache', pages: 2, va: SEG });
    m.run(shm, { domain: 'g1', pid: child, key: '/cache', pages: 2, va: SEG + 0x10_0000 });
    // One memory: the child's write is the parent's read, through the same guest-physical pages.
    m.run(write, {
      space: m.space('g1', child),
      va: SEG + 0x10_0000 + PAGE + 3,
      data: Uint8Array.of(77),
    });
    expect(m.mmu.read(m.space('g1', root), SEG + PAGE + 3, 1)).toEqual(Uint8Array.of(77));
    // Each maps its one private page, then the segment's two.
    const segmentGpas = (domain: string, pid: number) => m.gpas(domain, pid).slice(1);
    expect(segmentGpas('g1', root)).toEqual(segmentGpas('g1', child));
    // A segment's pages are the guest kernel's: no process gets them as its own.
    const other = m.run(spawn, { domain: 'g1', pages: 4 });
    expect(m.gpas('g1', other).some((g) => segmentGpas('g1', root).includes(g))).toBe(false);

    m.run(checkpoint, { domain: 'g1', root, name: 'tree' });
    for (const target of ['g2', 'h']) {
      m.run(restore, { image: 'tree', domain: target });
      expect(m.mmu.read(m.space(target, root), SEG + PAGE + 3, 1)).toEqual(Uint8Array.of(77));
      m.run(write, { space: m.space(target, root), va: SEG, data: Uint8Array.of(5) });
      expect(m.mmu.read(m.space(target, child), SEG + 0x10_0000, 1)).toEqual(Uint8Array.of(5));
      expect(m.procs.process(target, child)!.shm).toHaveLength(1);
    }
    // The source's segment is its own still.
    expect(m.mmu.read(m.space('g1', child), SEG + 0x10_0000, 1)).toEqual(Uint8Array.of(0));
  });

  it('runs inside a VM only: a domain over any other space is refused', () => {
    const m = vmMachine();
    const host = m.run(createSpace, { kind: 'host', partition: 'host' });
    expect(m.sim.dispatch(createDomain, { name: 'x', vm: host }).rejection?.message).toBe(
      `Space ${host} is a host space: a domain runs inside a VM (a vm space)`,
    );
    expect(m.sim.dispatch(createDomain, { name: 'x', vm: 999 }).rejection?.message).toBe(
      'Space 999 is no space: a domain runs inside a VM (a vm space)',
    );
    expect(m.sim.dispatch(createDomain, { name: 'x', vm: m.vms[0]!, partition: 'host' }).ok).toBe(
      false,
    );
  });
});
