import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createPartition, createSpace, fork, map, unmap, write } from '../mmu-commands';
import { MmuState } from '../mmu-state';
import { machine } from './machine';

/** A machine of `frames` frames, all in partition `host`, with `pages` of one space mapped from 0. */
export function mapped(frames: number, pages: number) {
  const m = machine({ frames });
  m.ok(m.sim.dispatch(createPartition, { name: 'host', frames }));
  const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
  m.ok(m.sim.dispatch(map, { space, va: 0, pages }));
  return { ...m, space };
}

export type Mapped = ReturnType<typeof mapped>;

/**
 * What a property test does to memory between its snapshots or checkpoints, on the first `pages`
 * pages: writes short and long, whole pages filled, unmaps that free frames, maps, and forks
 * whose writes break copy on write.
 */
export function memoryOps(pages: number) {
  const page = fc.nat({ max: pages - 1 });
  const value = fc.integer({ min: 1, max: 255 });
  return [
    fc.record({
      write: page,
      at: fc.nat({ max: 4095 }),
      length: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 200, max: 600 })),
      value,
    }),
    fc.record({ fill: page, value }),
    fc.record({ unmap: page }),
    fc.record({ map: page }),
    fc.constant({ fork: true as const }),
  ] as const;
}

export type MemoryOp =
  ReturnType<typeof memoryOps>[number] extends fc.Arbitrary<infer O> ? O : never;

/** Does `op` to `space`; returns the space to go on with (a fork's child). */
export function applyMemoryOp(m: Mapped, space: number, op: MemoryOp): number {
  if ('fill' in op) {
    m.sim.dispatch(write, { space, va: op.fill * 4096, data: new Uint8Array(4096).fill(op.value) });
  } else if ('write' in op) {
    const data = new Uint8Array(Math.min(op.length, 4096 - op.at)).fill(op.value);
    m.sim.dispatch(write, { space, va: op.write * 4096 + op.at, data });
  } else if ('unmap' in op) m.sim.dispatch(unmap, { space, va: op.unmap * 4096, pages: 1 });
  else if ('map' in op) m.sim.dispatch(map, { space, va: op.map * 4096, pages: 1 });
  else {
    // The child's writes break copy on write: frames copied, the parent's dropped later.
    const child = m.sim.dispatch(fork, { space });
    if (child.ok) return child.value!;
  }
  return space;
}

/** The MMU's digest and a hash of every byte of the first `frames` frames. */
export function captureMemory(m: Mapped, frames: number): { digest: string; memory: string } {
  return {
    digest: m.sim.get(MmuState).digest(),
    // Hashed: comparing 192 KiB element by element is slow in jest.
    memory: createHash('sha256')
      .update(m.query.readPhysical(0, frames * 4096))
      .digest('hex'),
  };
}
