import { Projector } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import fc from 'fast-check';
import { free, load } from './heap-commands';
import type { ViolationKind } from './heap-events';
import { POLICIES, type PolicyName } from './heap-options';
import { heapPlugin } from './heap-plugin';
import { HeapQuery } from './heap-query';
import { addressOf, tagOf } from './pointer';
import { heapMachine } from './test-support/heap-machine';

/*
 * Model-based test: random programs of malloc, free, realloc, loads and stores, good and bad,
 * against a model that knows which pointers are live, which are stale and what every live block
 * holds. After every step: live blocks never overlap and stay aligned, each one's info word
 * matches its pointer, loads return what the model stored (also across realloc), every bad
 * pointer the model knows is bad is reported with the right kind, and nothing else is. (Overruns
 * reach at most 15 bytes past a block: into its padding, free memory or the adjacent block, whose
 * tag always differs; a longer overrun into a block further on with the same tag escapes, as
 * on MTE.)
 */

type Op =
  | { op: 'malloc'; size: number; align?: number }
  | { op: 'free'; pick: number }
  | { op: 'realloc'; pick: number; size: number }
  | { op: 'store'; pick: number; at: number; data: number[] }
  | { op: 'load'; pick: number; at: number; length: number }
  | { op: 'staleFree'; pick: number }
  | { op: 'staleLoad'; pick: number; at: number }
  | { op: 'interiorFree'; pick: number; at: number }
  | { op: 'overrun'; pick: number; past: number }
  | { op: 'forgedLoad'; pick: number };

const pick = fc.nat(1000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('malloc' as const), size: fc.nat(300) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('malloc' as const),
      size: fc.nat(300),
      align: fc.constantFrom(32, 64, 256),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('free' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('realloc' as const), pick, size: fc.nat(600) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('store' as const),
      pick,
      at: fc.nat(1000),
      data: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('load' as const),
      pick,
      at: fc.nat(1000),
      length: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('staleFree' as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('staleLoad' as const), pick, at: fc.nat(1000) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('interiorFree' as const), pick, at: fc.nat(1000) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('overrun' as const), pick, past: fc.nat(15) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('forgedLoad' as const), pick }) },
);

interface LiveBlock {
  ptr: number;
  size: number;
  align: number;
  bytes: Uint8Array;
}

const LAYOUT = { addressBits: 40, tagBits: 8 };

function run(policy: PolicyName, ops: readonly Op[], rollbackWindow?: number): void {
  const { heap: client, query, space, sim } = heapMachine({ policy }, 4096, {}, rollbackWindow);
  const live: LiveBlock[] = [];
  const stale: { ptr: number; size: number }[] = [];
  const violationsSeen = () => query.violations().length;

  /** Runs a command the model says is bad: exactly one violation, of one of `kinds`. */
  const expectViolation = (what: string, kinds: readonly ViolationKind[], act: () => unknown) => {
    const before = violationsSeen();
    act();
    const reported = query.violations().slice(before);
    if (reported.length !== 1 || !kinds.includes(reported[0]!.kind))
      throw new Error(
        `${what}: expected one ${kinds.join(' or ')}, got ${JSON.stringify(reported.map((v) => v.kind))}`,
      );
  };
  const expectClean = (what: string, act: () => void) => {
    const before = violationsSeen();
    act();
    if (violationsSeen() !== before)
      throw new Error(`${what}: unexpected ${JSON.stringify(query.violations().slice(before))}`);
  };

  for (const op of ops) {
    const target = live.length > 0 ? live[('pick' in op ? op.pick : 0) % live.length] : undefined;
    switch (op.op) {
      case 'malloc': {
        expectClean('malloc', () => {
          const ptr = client.malloc(op.size, op.align);
          live.push({ ptr, size: op.size, align: op.align ?? 16, bytes: new Uint8Array(op.size) });
          // Fresh memory is zero only the first time; the model adopts whatever is there.
          if (op.size > 0) live.at(-1)!.bytes = client.load(ptr, Math.min(op.size, 1 << 20));
        });
        break;
      }
      case 'free':
        if (!target) break;
        expectClean('free', () => client.free(target.ptr));
        live.splice(live.indexOf(target), 1);
        stale.push({ ptr: target.ptr, size: target.size });
        break;
      case 'realloc': {
        if (!target) break;
        let ptr = 0;
        expectClean('realloc', () => (ptr = client.realloc(target.ptr, op.size)));
        live.splice(live.indexOf(target), 1);
        if (ptr !== target.ptr) stale.push({ ptr: target.ptr, size: target.size });
        if (op.size === 0) break;
        const kept = Math.min(target.size, op.size);
        if (kept > 0)
          expect([...client.load(ptr, kept)]).toEqual([...target.bytes.subarray(0, kept)]);
        const bytes = new Uint8Array(op.size);
        bytes.set(client.load(ptr, op.size));
        live.push({ ptr, size: op.size, align: 16, bytes });
        break;
      }
      case 'store': {
        if (!target || target.size === 0) break;
        const at = op.at % target.size;
        const data = Uint8Array.from(op.data.slice(0, target.size - at));
        expectClean('store', () => client.store(target.ptr + at, data));
        target.bytes.set(data, at);
        break;
      }
      case 'load': {
        if (!target || target.size === 0) break;
        const at = op.at % target.size;
        const length = Math.min(op.length, target.size - at);
        expectClean('load', () =>
          expect([...client.load(target.ptr + at, length)]).toEqual([
            ...target.bytes.subarray(at, at + length),
          ]),
        );
        break;
      }
      case 'staleFree': {
        const gone = stale[op.pick % Math.max(stale.length, 1)];
        if (!gone) break;
        expectViolation('stale free', ['double-free'], () =>
          sim.dispatch(free, { space, ptr: gone.ptr }),
        );
        break;
      }
      case 'staleLoad': {
        const gone = stale[op.pick % Math.max(stale.length, 1)];
        if (!gone) break;
        const at = gone.size === 0 ? 0 : op.at % gone.size;
        expectViolation('stale load', ['use-after-free', 'out-of-bounds'], () =>
          sim.dispatch(load, { space, ptr: gone.ptr + at, length: 1 }),
        );
        break;
      }
      case 'interiorFree': {
        if (!target || target.size <= 1) break;
        const at = 1 + (op.at % (target.size - 1));
        expectViolation('interior free', ['invalid-free'], () =>
          sim.dispatch(free, { space, ptr: target.ptr + at }),
        );
        break;
      }
      case 'overrun':
        if (!target) break;
        expectViolation('overrun', ['out-of-bounds'], () =>
          sim.dispatch(load, { space, ptr: target.ptr + target.size + op.past, length: 1 }),
        );
        break;
      case 'forgedLoad':
        if (!target || target.size === 0) break;
        expectViolation('forged pointer', ['forged-pointer'], () =>
          sim.dispatch(load, { space, ptr: addressOf(target.ptr, LAYOUT), length: 1 }),
        );
        break;
    }
    checkInvariants();
  }
  // The log alone rebuilds the same heap (and the chunks' histories, which the digest covers).
  const projector = new Projector([mmuPlugin({ frames: 4096 }), heapPlugin({ policy })], 1);
  for (const record of sim.store.read(1)) if (record.kind === 'event') projector.apply(record);
  expect(projector.digest()).toBe(sim.digest());
  expect(projector.get(HeapQuery).blocks(space)).toEqual(query.blocks(space));

  function checkInvariants(): void {
    const blocks = query.blocks(space);
    expect(blocks.map((b) => b.ptr).sort()).toEqual(live.map((b) => b.ptr).sort());
    for (let i = 1; i < blocks.length; i++)
      expect(blocks[i - 1]!.address + blocks[i - 1]!.span).toBeLessThanOrEqual(blocks[i]!.address);
    for (const block of live) {
      const address = addressOf(block.ptr, LAYOUT);
      expect(address % block.align).toBe(0);
      const info = query.info(space, address)!;
      expect(info.allocated).toBe(true);
      expect(info.count % 256).toBe(tagOf(block.ptr, LAYOUT));
    }
    expect(query.heap(space)?.liveBytes ?? 0).toBe(live.reduce((n, b) => n + b.size, 0));
  }
}

describe('heap against a reference model', () => {
  it('keeps blocks apart, aligned and intact, and reports exactly the bad pointers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        fc.array(opArb, { maxLength: 40 }),
        // Kernel checkpoints now and then in the middle of the program, or never.
        fc.constantFrom(undefined, 5, 16),
        (policy, ops, rollbackWindow) => run(policy, ops, rollbackWindow),
      ),
      {
        numRuns: 300,
        examples: [
          // An overrun of a live block into memory a freed block held under the same tag: an
          // overrun of the block beside it, not a use after free of the old one.
          [
            'first-fit',
            [
              { op: 'malloc', size: 193 },
              { op: 'realloc', pick: 0, size: 209 },
              { op: 'free', pick: 0 },
              { op: 'malloc', size: 208 },
              { op: 'overrun', pick: 0, past: 0 },
            ] as Op[],
            undefined,
          ],
        ],
      },
    );
  });
});
