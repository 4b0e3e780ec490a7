import { Simulation } from '@chronovisor/core';
import { MmuQuery, createPartition, createSpace, map, mmuPlugin } from '@chronovisor/mmu';
import heapPluginDefault, { HeapClient, HeapQuery, heapPlugin } from './index';
import { HeapViolation } from './heap-client';
import { load, malloc, store } from './heap-commands';
import { addressOf, decodeInfo, tagOf } from './pointer';
import { heapMachine } from './test-support/heap-machine';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('heap plugin', () => {
  it('allocates tagged pointers, stores and loads through them, and frees', () => {
    const { heap, query, space } = heapMachine();
    const p = heap.malloc(24);
    const layout = { addressBits: 40, tagBits: 8 };
    expect(addressOf(p, layout)).toBe(2 ** 36);
    expect(tagOf(p, layout)).toBe(1);
    heap.store(p + 8, bytes(1, 2, 3));
    expect([...heap.load(p + 8, 3)]).toEqual([1, 2, 3]);
    expect(query.info(space, 2 ** 36)).toEqual({ allocated: true, count: 1 });
    heap.free(p);
    expect(query.info(space, 2 ** 36)).toEqual({ allocated: false, count: 1 });
    const q = heap.malloc(16);
    expect(addressOf(q, layout)).toBe(2 ** 36);
    expect(tagOf(q, layout)).toBe(2);
    expect(decodeInfo(bytes(2, 0x80))).toEqual({ allocated: true, count: 2 });
  });

  it('names the free when a stale pointer writes to reused memory', () => {
    const { heap, query, sim, eventsAfter } = heapMachine();
    const p = heap.malloc(32);
    const before = sim.seq;
    heap.free(p);
    const freed = eventsAfter(before).find((e) => e.type === 'heap.block.freed')!;
    heap.malloc(32);
    let caught: HeapViolation | undefined;
    try {
      heap.store(p + 4, bytes(9));
    } catch (error) {
      caught = error as HeapViolation;
    }
    expect(caught?.violation).toMatchObject({ kind: 'use-after-free', op: 'store', ptr: p + 4 });
    expect(caught?.violation.freed?.freeSeq).toBe(freed.seq);
    expect(query.violations()).toHaveLength(1);
  });

  it('catches a stale pointer into the tail of a freed block, reused by a smaller block there', () => {
    // Found by the model test: the chunk left after carving a block at the freed block's start
    // began past that start, so its history was lost and the tail's new block got count 1 again.
    const { heap, query, space, sim } = heapMachine({ policy: 'first-fit' });
    const p = heap.malloc(20);
    heap.free(p);
    heap.malloc(0);
    const tail = heap.malloc(1);
    expect(addressOf(tail, { addressBits: 40, tagBits: 8 })).toBe(2 ** 36 + 16);
    expect(tagOf(tail, { addressBits: 40, tagBits: 8 })).not.toBe(
      tagOf(p, { addressBits: 40, tagBits: 8 }),
    );
    sim.dispatch(load, { space, ptr: p + 16, length: 1 });
    expect(query.violations().map((v) => v.kind)).toEqual(['use-after-free']);
  });
});

describe('the README example', () => {
  it('gives the pointers it shows and the violation it names', () => {
    const sim = new Simulation({
      plugins: [mmuPlugin(), heapPlugin({ policy: 'best-fit', tagBits: 8 })],
    });
    sim.dispatch(createPartition, { name: 'p', frames: 256 });
    const space = sim.dispatch(createSpace, { kind: 'host', partition: 'p' }).value!;
    const heap = new HeapClient(sim, space);

    const p = heap.malloc(64); // 0x11000000000: tag 1 above a 40-bit address
    heap.free(p);
    heap.malloc(64); // the same memory, tag 2
    sim.dispatch(store, { space, ptr: p, data: Uint8Array.of(1) }); // stopped and recorded
    const [violation] = sim.get(HeapQuery).violations();

    expect(p).toBe(0x11000000000);
    expect(heap.load(0x21000000000, 1)).toEqual(Uint8Array.of(0));
    expect(violation).toMatchObject({
      kind: 'use-after-free',
      freed: { ptr: p },
      block: { ptr: 0x21000000000 },
    });
    expect(sim.get(HeapQuery).whoFreed(space, p)?.freeSeq).toBe(violation!.freed!.freeSeq);
  });

  it('is what the package exports, the factory as its default', () => {
    expect(heapPluginDefault).toBe(heapPlugin);
    expect(heapPlugin().manifest).toMatchObject({
      name: '@chronovisor/plugin-heap',
      prefix: 'heap',
      requires: { '@chronovisor/mmu': '^1' },
    });
  });
});

describe('refusals', () => {
  it('refuses what it cannot do, naming why, and changes nothing', () => {
    const { sim, space, query } = heapMachine({ maxBytes: 8192 }, 64);
    const refused = (type: string, args: unknown) => {
      const result = sim.dispatch(type, args);
      expect(result.ok).toBe(false);
      return result.rejection!.message;
    };
    expect(refused('heap.malloc', { space, size: -1 })).toBe(
      'Invalid command heap.malloc: args.size = -1: Too small: expected number to be >=0',
    );
    expect(refused('heap.malloc', { space: 0, size: 8 })).toBe(
      'Invalid command heap.malloc: args.space = 0: Too small: expected number to be >=1',
    );
    expect(refused('heap.malloc', { space, size: 8, align: 24 })).toBe(
      'Invalid command heap.malloc: args.align = 24: must be a power of two',
    );
    expect(refused('heap.malloc', { space, size: 9000 })).toBe(
      'Invalid command heap.malloc: args.size = 9000: more than a heap holds (8192 bytes, option maxBytes)',
    );
    expect(refused('heap.free', { space, ptr: 1, ref: 2 })).toBe(
      'Invalid command heap.free: args: expected either ptr or ref',
    );
    expect(refused('heap.free', { space, ptr: 1, offset: 2 })).toBe(
      'Invalid command heap.free: args.offset = 2: only goes with ref (add it to ptr instead)',
    );
    expect(refused('heap.load', { space, ref: 1, length: 2 ** 21 })).toBe(
      'Invalid command heap.load: args.length: 2097152 bytes, more than one access moves (1048576, option maxAccess)',
    );
    expect(refused('heap.free', { space, ref: 7 })).toMatch(/^Ref 7 holds no pointer in space 1/);
    sim.dispatch(malloc, { space, size: 5000 });
    expect(refused('heap.malloc', { space, size: 5000 })).toMatch(
      /^Out of memory: 5008 more bytes would take the heap of space 1 past its 8192 bytes/,
    );
    expect(refused('heap.malloc', { space: 9, size: 8 })).toMatch(/^Space 9 does not exist/);
    expect(query.heaps().map((h) => h.counters.allocations)).toEqual([1]);
  });

  it("runs in a guest space, on guest-physical pages of its VM's memory, catching stale pointers there", () => {
    const sim = new Simulation({ plugins: [mmuPlugin({ frames: 1024 }), heapPlugin()], seed: 1 });
    sim.dispatch(createPartition, { name: 'vm', frames: 512 });
    const vm = sim.dispatch(createSpace, { kind: 'vm', partition: 'vm' }).value!;
    sim.dispatch(map, { space: vm, va: 0, pages: 256 }); // the guest's RAM
    const guests = [0, 1].map(() => sim.dispatch(createSpace, { kind: 'guest', vm }).value!);
    const [a, b] = guests.map((g) => new HeapClient(sim, g));
    const p = a!.malloc(100);
    const q = b!.malloc(100);
    a!.store(p, Uint8Array.of(1, 2, 3));
    b!.store(q, Uint8Array.of(9));
    expect(a!.load(p, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(b!.load(q, 1)).toEqual(Uint8Array.of(9));
    // Each heap's pages are guest-physical pages of the VM's memory, none shared between them.
    const gpas = guests.map((g) =>
      sim
        .get(MmuQuery)
        .mappings(g)
        .flatMap((run) => Array.from({ length: run.pages }, (_, i) => run.frame + i)),
    );
    expect(gpas.flat().every((gpn) => gpn < 256)).toBe(true);
    expect(new Set(gpas.flat()).size).toBe(gpas[0]!.length + gpas[1]!.length);
    // A stale pointer into a guest's heap is caught as in a host's.
    a!.free(p);
    a!.malloc(100);
    expect(() => a!.store(p, Uint8Array.of(7))).toThrow(HeapViolation);
  });

  it('takes back a whole allocation when the MMU refuses its pages', () => {
    const { sim, space, query, heap } = heapMachine({}, 3); // 3 frames: one heap page, one info page, one spare
    heap.malloc(4000);
    const seq = sim.seq;
    const result = sim.dispatch(malloc, { space, size: 8192 });
    expect(result.rejection?.message).toMatch(/no free frames|free frame|frames/);
    expect([...sim.store.read(seq + 1)]).toHaveLength(1); // only the refused command
    expect(query.heap(space)).toMatchObject({ liveBlocks: 1, extent: 4000 });
  });
});
