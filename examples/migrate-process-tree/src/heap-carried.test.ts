import { HeapQuery, heapPlugin } from '@chronovisor/plugin-heap';
import * as heap from '@chronovisor/plugin-heap';
import fc from 'fast-check';
import { refusedRestore, twoDomains, type DomainsIn } from './test-support/two-domains';
import {
  checkpoint,
  fork,
  importImage,
  migrate,
  restore,
  spawn,
} from '@chronovisor/plugin-checkpoint';

/** Two domains, with the heap: a process's heap goes with it. */
const machine = (withHeap = true, where: DomainsIn = 'host') =>
  twoDomains(withHeap ? [heapPlugin()] : [], where);

/** What a program does with its heap: allocate, store, free, and use pointers, stale ones too. */
type Op =
  | { op: 'malloc'; size: number }
  | { op: 'free'; which: number }
  | { op: 'store'; which: number; byte: number }
  | { op: 'load'; which: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('malloc' as const), size: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ op: fc.constant('free' as const), which: fc.nat(40) }),
  fc.record({ op: fc.constant('store' as const), which: fc.nat(40), byte: fc.nat(255) }),
  fc.record({ op: fc.constant('load' as const), which: fc.nat(40) }),
);

/**
 * An outcome without where and when it happened (a violation names its space, and the seqs of the
 * allocation and free of a block made after the restore), to compare two spaces' programs.
 */
const placeless = (outcome: unknown): unknown =>
  JSON.parse(
    JSON.stringify(outcome, (key, value: unknown) =>
      key === 'space' || key === 'freeSeq' || key === 'allocSeq' ? undefined : value,
    ),
  );

/** Runs `ops` in a space; each outcome as data (pointers, refusals by kind, bytes read). */
function program(
  m: ReturnType<typeof machine>,
  space: number,
  pointers: number[],
  ops: readonly Op[],
): unknown[] {
  return ops.map((o) => {
    if (o.op === 'malloc') {
      const ptr = m.run(heap.malloc, { space, size: o.size });
      pointers.push(ptr);
      return ['malloc', ptr];
    }
    const ptr = pointers[o.which % Math.max(1, pointers.length)];
    if (ptr === undefined) return ['none'];
    if (o.op === 'free') return ['free', placeless(m.run(heap.free, { space, ptr }))];
    if (o.op === 'store')
      return ['store', placeless(m.run(heap.store, { space, ptr, data: Uint8Array.of(o.byte) }))];
    const loaded = m.run(heap.load, { space, ptr, length: 1 });
    return ['load', loaded.ok ? [...loaded.bytes] : placeless(loaded)];
  });
}

describe.each(['host', 'vm'] as const)(
  'a process’s heap (domains over %s memory), checkpointed and restored with it',
  (where) => {
    it('comes back whole: the same blocks and free memory, and the same program goes on the same way', () => {
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 40 }),
          fc.array(op, { maxLength: 40 }),
          fc.array(op, { maxLength: 40 }),
          fc.array(op, { maxLength: 30 }),
          (rootOps, childOps, before, after) => {
            const m = machine(true, where);
            const root = m.run(spawn, { domain: 'src', pages: 4 });
            const space = (pid: number, domain = 'src') => m.procs.process(domain, pid)!.space;
            const pointers = new Map<number, number[]>([[root, []]]);
            program(m, space(root), pointers.get(root)!, rootOps);
            // A child forked after the parent's heap shares its memory; its own heap is its own.
            const child = m.run(fork, { domain: 'src', pid: root });
            pointers.set(child, []);
            program(m, space(child), pointers.get(child)!, childOps);
            program(m, space(root), pointers.get(root)!, before);
            m.run(checkpoint, { domain: 'src', root, name: 'tree' });
            m.run(restore, { image: 'tree', domain: 'dst' });
            const heaps = m.sim.get(HeapQuery);
            for (const pid of [root, child]) {
              const [from, to] = [space(pid), space(pid, 'dst')];
              expect(heaps.blocks(to)).toEqual(heaps.blocks(from));
              expect(heaps.freeChunks(to)).toEqual(heaps.freeChunks(from));
              expect({ ...heaps.heap(to), space: from }).toEqual({
                ...heaps.heap(from),
                space: from,
              });
              // The same program on both: the same pointers, the same stale pointers caught.
              const outcomes = (domain: string) =>
                program(m, space(pid, domain), [...pointers.get(pid)!], after);
              expect(outcomes('dst')).toEqual(outcomes('src'));
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it('moves with its process when it migrates, by remap or by copy', () => {
      for (const mode of ['remap', 'copy'] as const) {
        fc.assert(
          fc.property(
            fc.array(op, { maxLength: 40 }),
            fc.array(op, { maxLength: 30 }),
            (before, after) => {
              // The same program in two processes; one migrates, the other stays: they go on alike.
              const m = machine(true, where);
              const [moving, staying] = [1, 2].map(() => m.run(spawn, { domain: 'src', pages: 2 }));
              const space = (pid: number, domain: string) => m.procs.process(domain, pid)!.space;
              const pointers = [[], []].map(() => [] as number[]);
              const outcomes = [moving, staying].map((pid, i) =>
                program(m, space(pid!, 'src'), pointers[i]!, before),
              );
              expect(outcomes[0]).toEqual(outcomes[1]);
              const heaps = m.sim.get(HeapQuery);
              const blocks = heaps.blocks(space(moving!, 'src'));
              m.run(migrate, { domain: 'src', pid: moving!, to: 'dst', mode });
              expect(heaps.blocks(space(moving!, 'dst'))).toEqual(blocks);
              expect(program(m, space(moving!, 'dst'), pointers[0]!, after)).toEqual(
                program(m, space(staying!, 'src'), pointers[1]!, after),
              );
            },
          ),
          { numRuns: 15 },
        );
      }
    });

    it('is refused, whole, by a plugin set without the heap, and when it was forged', () => {
      const m = machine();
      const root = m.run(spawn, { domain: 'src', pages: 2 });
      const space = m.procs.process('src', root)!.space;
      m.run(heap.malloc, { space, size: 64 });
      m.run(checkpoint, { domain: 'src', root, name: 'one' });
      const image = m.procs.image('one')!;
      expect(image.format).toBe(2);
      expect(Object.keys(image.processes[0]!.spaceState!)).toEqual(['heap']);

      const bare = machine(false);
      bare.run(importImage, { image });
      expect(refusedRestore(bare, 'one')).toBe(
        `Image one keeps the heap state of pid ${root}, but no plugin of this set keeps heap state: add that plugin to restore it`,
      );

      const forged = structuredClone(image) as unknown as {
        name: string;
        processes: { spaceState: { heap: { blocks: { address: number }[] } } }[];
      };
      forged.name = 'forged';
      forged.processes[0]!.spaceState.heap.blocks[0]!.address = 0x10;
      m.run(importImage, { image: forged as unknown as typeof image });
      expect(refusedRestore(m, 'forged')).toMatch(
        /^The heap state holds memory at 0x10 outside its region/,
      );
    });
  },
);
