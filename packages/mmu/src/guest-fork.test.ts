import fc from 'fast-check';
import { createPartition, createSpace, destroySpace, fork, map, read, write } from './mmu-commands';
import { machine } from './test-support/machine';

/*
 * Copy-on-write fork inside a VM, against a model that knows nothing of pages: each process is a
 * map from page to its bytes, a fork copies the map, a write changes one process's page. The MMU
 * must read back what the model holds in every process, whatever forks, writes and exits came
 * before; and a guest's processes run the same program as a host's, with the same results.
 */

const PAGE = 4096;
const PAGES = 4;
const VM_PAGES = 40;

type Op =
  | { op: 'fork'; who: number }
  | { op: 'write'; who: number; page: number; byte: number }
  | { op: 'exit'; who: number };

const who = fc.nat(20);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fork' as const), who }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      who,
      page: fc.nat(PAGES - 1),
      byte: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), who }) },
);

/** Runs the program in host spaces or in guest spaces of a VM; every read, as the MMU gives it. */
function runProgram(kind: 'host' | 'guest', ops: readonly Op[]) {
  const { sim, ok, query } = machine({ frames: 256 });
  ok(sim.dispatch(createPartition, { name: 'p', frames: 128 }));
  const first =
    kind === 'host'
      ? ok(sim.dispatch(createSpace, { kind: 'host', partition: 'p' }))
      : (() => {
          const vm = ok(sim.dispatch(createSpace, { kind: 'vm', partition: 'p' }));
          ok(sim.dispatch(map, { space: vm, va: 0, pages: VM_PAGES }));
          return ok(sim.dispatch(createSpace, { kind: 'guest', vm }));
        })();
  ok(sim.dispatch(map, { space: first, va: 0, pages: PAGES }));
  const live = [first];
  const model = new Map<number, number[]>([[first, Array<number>(PAGES).fill(0)]]);
  const reads: number[][] = [];
  for (const step of ops) {
    const space = live[step.who % live.length]!;
    if (step.op === 'fork') {
      // A full VM refuses a copy later, not the fork: the model forks regardless.
      const child = ok(sim.dispatch(fork, { space }));
      live.push(child);
      model.set(child, [...model.get(space)!]);
    } else if (step.op === 'write') {
      const done = sim.dispatch(write, {
        space,
        va: step.page * PAGE,
        data: Uint8Array.of(step.byte),
      });
      if (!done.ok) {
        // Only a guest runs out of guest-physical pages to copy into (the VM's 40): the program
        // ends there, and is compared with the host's up to there.
        expect(kind).toBe('guest');
        expect(done.rejection!.message).toMatch(/has no free guest-physical page to copy/);
        break;
      }
      model.get(space)![step.page] = step.byte;
    } else if (live.length > 1) {
      ok(sim.dispatch(destroySpace, { space }));
      live.splice(live.indexOf(space), 1);
      model.delete(space);
    }
    // Every process reads what the model says it holds.
    reads.push(
      live.flatMap((s) => {
        const bytes = model.get(s)!.map((_, page) => {
          const outcome = ok(sim.dispatch(read, { space: s, va: page * PAGE, length: 1 }));
          return outcome.ok ? outcome.bytes[0]! : -1;
        });
        expect(bytes).toEqual(model.get(s));
        return bytes;
      }),
    );
  }
  if (kind === 'guest') {
    // No guest-physical page is lost: those the live processes map are all the VM hands out.
    const mapped = new Set(
      live.flatMap((s) =>
        query.mappings(s).flatMap((r) => Array.from({ length: r.pages }, (_, i) => r.frame + i)),
      ),
    );
    expect(mapped.size).toBeLessThanOrEqual(VM_PAGES);
  }
  return reads;
}

describe('copy-on-write fork in a guest', () => {
  it('keeps every process reading what it wrote, as its model says, and as host processes do', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const guest = runProgram('guest', ops);
        expect(guest).toEqual(runProgram('host', ops).slice(0, guest.length));
      }),
      { numRuns: 80 },
    );
  });
});
