import {
  Simulation,
  defineCommand,
  definePlugin,
  handle,
  type CommandHandlers,
} from '@chronovisor/core';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { z } from 'zod';
import { createPartition, createSpace, fork, map, unmap, write } from './mmu-commands';
import { MMU_PLUGIN, mmuPlugin } from './mmu-plugin';
import { MmuQuery } from './mmu-query';
import { MmuState, type MmuSnapshot } from './mmu-state';
import {
  applyMemoryOp,
  captureMemory,
  mapped,
  memoryOps,
  type Mapped,
} from './test-support/memory-workload';

const FRAMES = 48;

describe('MMU checkpoints (the kernel rollback point)', () => {
  it('roll back exactly, however often, and leave snapshots taken meanwhile whole', () => {
    const op = fc.oneof(
      // Two pages only, so writes, unmaps, forks' copies and rollbacks keep meeting on them.
      ...memoryOps(2),
      fc.constant({ checkpoint: true }),
      fc.constant({ checkpoint: true }),
      fc.constant({ rollback: true }),
      fc.constant({ rollback: true }),
      fc.constant({ snapshot: true }),
      fc.record({ restore: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const m = mapped(FRAMES, 16);
        let space = m.space;
        const state = m.sim.get(MmuState);
        const capture = () => captureMemory(m, FRAMES);
        let checkpoint = { at: state.checkpoint(), ...capture(), space };
        const snapshots: { snapshot: MmuSnapshot; digest: string; memory: string }[] = [];
        for (const o of ops) {
          if ('checkpoint' in o) checkpoint = { at: state.checkpoint(), ...capture(), space };
          else if ('rollback' in o) {
            state.rollback(checkpoint.at);
            space = checkpoint.space;
            expect(capture()).toEqual({ digest: checkpoint.digest, memory: checkpoint.memory });
          } else if ('snapshot' in o) snapshots.push({ snapshot: state.snapshot(), ...capture() });
          else if ('restore' in o) {
            if (snapshots.length === 0) continue;
            const s = snapshots[o.restore % snapshots.length]!;
            state.restore(s.snapshot);
            expect(capture()).toEqual({ digest: s.digest, memory: s.memory });
            // A restore is no rollback: the next rollback point is taken here.
            checkpoint = { at: state.checkpoint(), ...capture(), space };
          } else space = applyMemoryOp(m, space, o);
        }
        // Rolling back never touched a frame a snapshot holds.
        for (const s of snapshots) {
          state.restore(s.snapshot);
          expect(capture()).toEqual({ digest: s.digest, memory: s.memory });
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a write in place', (m: Mapped) => m.memory.writeU8(m.space, 9, 2)],
    [
      'an unmap that frees a written frame',
      (m: Mapped) => {
        m.ok(m.sim.dispatch(unmap, { space: m.space, va: 0, pages: 1 }));
      },
    ],
    [
      "a fork's copy-on-write break into a fresh frame",
      (m: Mapped) => {
        const child = m.ok(m.sim.dispatch(fork, { space: m.space }));
        m.memory.writeU8(child, 0, 9);
      },
    ],
  ])('take back %s', (_what, change) => {
    const m = mapped(FRAMES, 16);
    const state = m.sim.get(MmuState);
    m.memory.writeU8(m.space, 0, 1);
    const checkpoint = state.checkpoint();
    const physical = () => Buffer.from(m.query.readPhysical(0, FRAMES * 4096)).toString('hex');
    const before = { digest: state.digest(), memory: physical() };
    change(m);
    expect(physical()).not.toBe(before.memory);
    state.rollback(checkpoint);
    expect({ digest: state.digest(), memory: physical() }).toEqual(before);
  });

  it('copy no page for the kernel: a write after a checkpoint changes the frame in place', () => {
    const m = mapped(FRAMES, 16);
    const state = m.sim.get(MmuState);
    m.memory.writeU8(m.space, 7, 1);
    const copied = state.copiedBytes();
    state.checkpoint();
    m.memory.writeU8(m.space, 9, 2);
    expect(state.copiedBytes()).toBe(copied);
  });

  it('undo what a refused command wrote, through the kernel, across its checkpoints', () => {
    // A loader that writes through the MMU, then fails: the kernel must take the writes back.
    const scribble = defineCommand('scribbler.scribble', {
      args: z.object({ space: z.number(), va: z.number(), value: z.number(), fail: z.boolean() }),
    });
    class Scribbler implements CommandHandlers {
      readonly handlers = [
        handle(scribble, ({ space, va, value, fail }, context) => {
          context.call(write, { space, va, data: Uint8Array.of(value, value) });
          if (fail) throw new Error('the loader gave up');
        }),
      ];
    }
    const scribbler = definePlugin({
      package: { name: '@test/scribbler', version: '1.0.0' },
      requires: { [MMU_PLUGIN]: '^1' },
      commands: [scribble],
      handlers: [Scribbler],
    });
    const run = (failing: boolean, rollbackWindow?: number) => {
      const sim = new Simulation({
        plugins: [mmuPlugin({ frames: FRAMES }), scribbler()],
        ...(rollbackWindow === undefined ? {} : { rollbackWindow }),
      });
      sim.dispatch(createPartition, { name: 'host', frames: FRAMES });
      const space = sim.dispatch(createSpace, { kind: 'host', partition: 'host' }).value!;
      sim.dispatch(map, { space, va: 0, pages: 8 });
      for (let i = 0; i < 3_000; i++) {
        const va = ((i * 7919) % (8 * 4096 - 2)) & ~1;
        sim.dispatch(scribble, { space, va, value: i & 255, fail: false });
        if (failing && i % 97 === 0) {
          const refused = sim.dispatch(scribble, { space, va: va ^ 64, value: 255, fail: true });
          expect(refused.ok).toBe(false);
        }
      }
      const memory = sim.get(MmuQuery).readPhysical(0, 8 * 4096);
      return { digest: sim.digest(), memory: createHash('sha256').update(memory).digest('hex') };
    };
    const clean = run(false);
    expect(run(true)).toEqual(clean);
    expect(run(true, 100)).toEqual(clean);
  });
});
