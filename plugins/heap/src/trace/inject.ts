import { Xoshiro128StarStar } from '@chronovisor/core';
import type { Trace, TraceOp } from './trace-format';

/** How many faults of each kind to inject, and the seed that places them. */
export interface InjectionSpec {
  readonly uaf?: number;
  readonly doubleFree?: number;
  readonly invalidFree?: number;
  readonly seed?: number;
}

export type InjectedKind = 'use-after-free' | 'double-free' | 'invalid-free';

/** A fault put into a trace: a stale load or a second free through the pointer a free released, or a free of an interior pointer. */
export type InjectedOp =
  | {
      readonly op: 'inject';
      readonly kind: 'use-after-free' | 'double-free';
      /** Index in the trace of the free whose pointer goes stale. */
      readonly freeIndex: number;
    }
  | {
      readonly op: 'inject';
      readonly kind: 'invalid-free';
      /** The live block whose interior is freed, and how far in. */
      readonly id: number;
      readonly offset: number;
    };

/**
 * Puts faults into a trace at seeded random places: each use-after-free or double free picks a
 * free of the trace and happens at a uniformly random later point; each invalid free picks a
 * block of at least 16 bytes and frees a pointer 8·k bytes inside it while it is live.
 */
export function injectFaults(trace: Trace, spec: InjectionSpec): (TraceOp | InjectedOp)[] {
  const rng = new Xoshiro128StarStar(spec.seed ?? 0);
  const ops = trace.ops;
  const frees: number[] = [];
  const lifetimes: { id: number; size: number; from: number; to: number }[] = [];
  const open = new Map<number, { size: number; from: number }>();
  ops.forEach((op, i) => {
    if (op.op === 'free') {
      frees.push(i);
      const block = open.get(op.id)!;
      open.delete(op.id);
      lifetimes.push({ id: op.id, size: block.size, from: block.from, to: i });
    } else if (op.op === 'alloc') {
      open.set(op.id, { size: op.size, from: i });
    } else {
      // A realloc may move the block: its interior is only sure to be the same block from here.
      open.set(op.id, { size: op.size, from: i });
    }
  });
  for (const [id, { size, from }] of open) lifetimes.push({ id, size, from, to: ops.length });
  const big = lifetimes.filter((l) => l.size >= 16);

  // [position, order, op]: injected before trace op `position`, in the order drawn.
  const inserts: [number, number, InjectedOp][] = [];
  const stale = (kind: 'use-after-free' | 'double-free', n: number) => {
    if (n > 0 && frees.length === 0)
      throw new Error(`The trace frees nothing, so no ${kind} can be injected`);
    for (let k = 0; k < n; k++) {
      const freeIndex = frees[rng.nextInt(0, frees.length - 1)]!;
      inserts.push([
        rng.nextInt(freeIndex + 1, ops.length),
        inserts.length,
        { op: 'inject', kind, freeIndex },
      ]);
    }
  };
  stale('use-after-free', spec.uaf ?? 0);
  stale('double-free', spec.doubleFree ?? 0);
  const invalid = spec.invalidFree ?? 0;
  if (invalid > 0 && big.length === 0)
    throw new Error(
      'The trace has no block of 16 bytes or more, so no invalid free can be injected',
    );
  for (let k = 0; k < invalid; k++) {
    const life = big[rng.nextInt(0, big.length - 1)]!;
    const offset = 8 * rng.nextInt(1, Math.floor((life.size - 1) / 8));
    inserts.push([
      rng.nextInt(life.from + 1, life.to),
      inserts.length,
      { op: 'inject', kind: 'invalid-free', id: life.id, offset },
    ]);
  }
  inserts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: (TraceOp | InjectedOp)[] = [];
  let next = 0;
  for (let i = 0; i <= ops.length; i++) {
    while (next < inserts.length && inserts[next]![0] === i) out.push(inserts[next++]![2]);
    if (i < ops.length) out.push(ops[i]!);
  }
  return out;
}
