import { write } from '@chronovisor/mmu';
import fc from 'fast-check';
import {
  checkpoint,
  close,
  exit,
  fork,
  open,
  pass,
  pipe,
  restore,
  setpgid,
  setsid,
  shm,
  spawn,
  writeFd,
} from './proc-commands';
import { procMachine } from './test-support/proc-machine';

/*
 * Round trip over random trees: processes spawned and forked, sessions and groups changed,
 * memory written (before and after forks, so copy-on-write frames are shared or split), files,
 * pipes with unread bytes, descriptors passed, segments attached, zombies left. The tree is
 * checkpointed and restored into another domain; then every process must read the same memory,
 * keep its pid, ppid, pgid, sid and state, share frames exactly as before, and its descriptors
 * and segments must share resources exactly as before (the same sharing graph).
 */

type Op =
  | { op: 'fork' | 'spawn' | 'setsid' | 'exit' | 'pipe' | 'open'; who: number }
  | { op: 'setpgid'; who: number; group: number }
  | { op: 'write'; who: number; page: number; byte: number }
  | { op: 'pass'; who: number; fd: number; to: number }
  | { op: 'close'; who: number; fd: number }
  | { op: 'shm'; who: number; key: number };

const who = fc.nat(50);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constantFrom('fork' as const, 'spawn' as const), who }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constantFrom('setsid' as const, 'exit' as const, 'pipe' as const, 'open' as const),
      who,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setpgid' as const), who, group: who }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      who,
      page: fc.nat(3),
      byte: fc.integer({ min: 1, max: 255 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('pass' as const), who, fd: fc.nat(4), to: who }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), who, fd: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('shm' as const), who, key: fc.nat(1) }) },
);

const PAGE = 4096;

describe.each(['host', 'vm'] as const)(
  'checkpoint → restore round trip (domains over %s memory)',
  (where) => {
    it('keeps identities, memory, copy-on-write sharing and the resource sharing graph of any tree', () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
          const { sim, query, mmu } = procMachine({}, where);
          const root = sim.dispatch(spawn, { domain: 'src', pages: 4, session: true }).value!;
          const running = () => query.processes('src').filter((p) => p.state === 'running');
          for (const step of ops) {
            const live = running();
            if (live.length === 0) break;
            const p = live[step.who % live.length]!;
            const at = { domain: 'src', pid: p.pid };
            // Commands a real program may have refused (EPERM, a closed fd) are refused here too;
            // the round trip must hold whatever state the tree is left in.
            if (step.op === 'fork') sim.dispatch(fork, at);
            else if (step.op === 'spawn')
              sim.dispatch(spawn, { domain: 'src', parent: p.pid, pages: 2 });
            else if (step.op === 'setsid') sim.dispatch(setsid, at);
            else if (step.op === 'exit' && p.pid !== root)
              sim.dispatch(exit, { ...at, code: step.who % 7 });
            else if (step.op === 'pipe') {
              const made = sim.dispatch(pipe, at);
              if (made.ok)
                sim.dispatch(writeFd, { ...at, fd: made.value![1], data: Uint8Array.of(step.who) });
            } else if (step.op === 'open') sim.dispatch(open, { ...at, path: `/f${step.who % 3}` });
            else if (step.op === 'setpgid')
              sim.dispatch(setpgid, { ...at, pgid: live[step.group % live.length]!.pgid });
            else if (step.op === 'write') {
              const run = mmu.mappings(p.space)[0];
              if (run && step.page < run.pages)
                sim.dispatch(write, {
                  space: p.space,
                  va: run.va + step.page * PAGE,
                  data: Uint8Array.of(step.byte),
                });
            } else if (step.op === 'pass')
              sim.dispatch(pass, { ...at, fd: step.fd, to: live[step.to % live.length]!.pid });
            else if (step.op === 'close') sim.dispatch(close, { ...at, fd: step.fd });
            else if (step.op === 'shm' && !query.process('src', p.pid)!.shm.length)
              sim.dispatch(shm, { ...at, key: `k${step.key}`, pages: 1, va: 0x7000_0000 });
          }
          const checkpointed = sim.dispatch(checkpoint, { domain: 'src', root, name: 'tree' });
          expect(checkpointed.rejection).toBeUndefined();
          const restored = sim.dispatch(restore, { image: 'tree', domain: 'dst' });
          expect(restored.rejection).toBeUndefined();

          const tree = query.image('tree')!.processes.map((p) => p.pid);
          const before = query.processes('src').filter((p) => tree.includes(p.pid));
          const after = query.processes('dst');
          expect(after.map(({ space: _, fds: __, ...p }) => p)).toEqual(
            before.map(({ space: _, fds: __, ...p }) => p),
          );
          // Memory: the same bytes in every page.
          for (const p of after.filter((q) => q.state === 'running')) {
            const src = before.find((q) => q.pid === p.pid)!;
            for (const run of mmu.mappings(src.space))
              expect(mmu.read(p.space, run.va, run.pages * PAGE)).toEqual(
                mmu.read(src.space, run.va, run.pages * PAGE),
              );
          }
          // Copy-on-write as CRIU keeps it: a page a process shared with its parent, it shares again
          // (sharing only between siblings comes back as copies, as in CRIU).
          const withParent = (list: typeof before) =>
            list.flatMap((p) => {
              const parent = list.find((q) => q.pid === p.ppid && q.state === 'running');
              if (!parent || p.state !== 'running') return [];
              const frameAt = (space: number) => {
                const at = new Map<number, number>();
                for (const run of mmu.mappings(space))
                  for (let i = 0; i < run.pages; i++) at.set(run.va + i * PAGE, run.frame + i);
                return at;
              };
              const [mine, theirs] = [frameAt(p.space), frameAt(parent.space)];
              return [...mine]
                .filter(([va, frame]) => theirs.get(va) === frame)
                .map(([va]) => `${p.pid}@${va}`);
            });
          expect(withParent(after)).toEqual(withParent(before));
          // Segments: each process maps the same segments at the same addresses.
          const segments = (domain: string) =>
            before.map((p) => query.process(domain, p.pid)!.shm.map((attached) => attached.va));
          expect(segments('dst')).toEqual(segments('src'));
          // Descriptors: a consistent renaming of resources, one copy each, same kinds and states.
          const renamed = new Map<number, number>();
          for (const p of before)
            for (const [fd, id] of Object.entries(p.fds)) {
              const copy = query.process('dst', p.pid)!.fds.get(Number(fd));
              expect(copy).toBeDefined();
              expect(renamed.get(id) ?? copy).toBe(copy);
              renamed.set(id, copy!);
              const [a, b] = [query.resource(id)!, query.resource(copy!)!];
              expect(b.kind).toBe(a.kind);
              if (a.kind === 'pipe') expect(b.buffered).toEqual(a.buffered);
              if (a.kind === 'file' && b.kind === 'file') expect(b.offset).toBe(a.offset);
            }
          expect(new Set(renamed.values()).size).toBe(renamed.size);
        }),
        { numRuns: 60 },
      );
    });
  },
);
