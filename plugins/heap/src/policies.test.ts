import { POLICIES, type PolicyName } from './heap-options';
import { addressOf } from './pointer';
import { heapMachine } from './test-support/heap-machine';

const BASE = 2 ** 36;
const LAYOUT = { addressBits: 40, tagBits: 8 };
const at = (ptr: number) => addressOf(ptr, LAYOUT) - BASE;

function machine(policy: PolicyName) {
  const m = heapMachine({ policy });
  const chunks = () => m.query.freeChunks(m.space).map(([a, s]) => [a - BASE, s]);
  return { ...m, chunks };
}

describe('allocation policies', () => {
  it('first fit takes the lowest chunk that fits, best fit the smallest', () => {
    const placed = (policy: PolicyName) => {
      const { heap } = machine(policy);
      const [a, , c] = [64, 16, 32, 16].map((n) => heap.malloc(n));
      heap.free(a!);
      heap.free(c!);
      return at(heap.malloc(32));
    };
    expect(placed('first-fit')).toBe(0); // a's 64 bytes come first
    expect(placed('best-fit')).toBe(64 + 16); // c's 32 bytes fit exactly
  });

  it('coalesces a freed block with free neighbours on both sides (first and best fit)', () => {
    for (const policy of ['first-fit', 'best-fit'] as const) {
      const { heap, chunks } = machine(policy);
      const [a, b, c] = [16, 32, 48, 16].map((n) => heap.malloc(n));
      heap.free(a!);
      heap.free(c!);
      expect(chunks()).toEqual([
        [0, 16],
        [48, 48],
      ]);
      heap.free(b!);
      expect(chunks()).toEqual([[0, 96]]);
    }
  });

  it('buddy splits powers of two in halves, merges buddies back, and doubles the heap', () => {
    const { heap, chunks, query, space } = machine('buddy');
    const a = heap.malloc(100); // 128
    expect(query.heap(space)!.extent).toBe(128);
    const b = heap.malloc(20); // 32: the heap doubles to 256, its upper half split
    expect(query.heap(space)!.extent).toBe(256);
    expect(at(b)).toBe(128);
    expect(chunks()).toEqual([
      [160, 32],
      [192, 64],
    ]);
    heap.free(b);
    expect(chunks()).toEqual([[128, 128]]);
    heap.free(a);
    expect(chunks()).toEqual([[0, 256]]);
  });

  it('segregated fits reuse a freed block of the same size class, unmerged', () => {
    const { heap, chunks } = machine('segregated');
    const a = heap.malloc(40); // class 48
    const b = heap.malloc(48);
    heap.malloc(16);
    heap.free(a);
    heap.free(b);
    expect(chunks()).toEqual([
      [0, 48],
      [48, 48],
    ]);
    expect(at(heap.malloc(33))).toBe(0);
    expect(at(heap.malloc(200))).toBe(112); // class 224, past the 16-byte block: fresh memory
  });

  it.each(POLICIES)('%s honours alignment requests', (policy) => {
    const { heap } = machine(policy);
    heap.malloc(24);
    for (const align of [64, 256, 4096]) expect(at(heap.malloc(10, align)) % align).toBe(0);
  });
});
