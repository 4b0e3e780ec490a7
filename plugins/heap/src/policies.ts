import type { Chunk, FreeChunks } from './free-chunks';
import type { PolicyName } from './heap-options';

/** Where a block goes: its address, the chunk it is carved from, and what is left of that chunk. */
export interface Placement {
  readonly address: number;
  readonly from: Chunk;
  readonly rest: readonly Chunk[];
}

/** What a policy sees of the heap. */
export interface HeapShape {
  readonly base: number;
  readonly brk: number;
  readonly alignment: number;
  readonly chunks: FreeChunks;
}

/**
 * An allocation policy: how many bytes a request takes, which free memory it gets, what a freed
 * block merges with, and how the heap grows. Policies only decide; the heap's events carry each
 * decision (the chunk used, the pieces left, the merged chunk), so replay needs no policy at all.
 */
export interface Policy {
  readonly name: PolicyName;
  /** Bytes a block of `size` takes, aligned to `align`. */
  span(size: number, align: number): number;
  /** A free place for `span` bytes aligned to `align`, or undefined: the heap must grow. */
  place(heap: HeapShape, span: number, align: number): Placement | undefined;
  /** The free chunk a freed block becomes, merged as the policy merges. */
  release(heap: HeapShape, address: number, span: number): Chunk;
  /** Where the break moves to make room for `span` bytes aligned to `align`, and the free chunk that makes. */
  grow(heap: HeapShape, span: number, align: number): Growth;
}

/** A move of the break: the new break, and the free chunk the new memory makes (merged). */
export interface Growth {
  readonly to: number;
  readonly chunk: Chunk;
}

const alignUp = (n: number, align: number): number => Math.ceil(n / align) * align;

/** Carves `span` bytes at `address` out of `chunk`: the pieces before and after stay free. */
function carve(chunk: Chunk, address: number, span: number): Placement {
  const [start, size] = chunk;
  const rest: Chunk[] = [];
  if (address > start) rest.push([start, address - start]);
  const end = address + span;
  if (end < start + size) rest.push([end, start + size - end]);
  return { address, from: chunk, rest };
}

/** Where `span` bytes aligned to `align` would start in `chunk`, if they fit. */
function fitIn(start: number, size: number, span: number, align: number): number | undefined {
  const address = alignUp(start, align);
  return address + span <= start + size ? address : undefined;
}

/** Merges a freed block with the free chunks on either side (boundary-tag coalescing). */
function coalesce(heap: HeapShape, address: number, span: number): Chunk {
  const before = heap.chunks.endingAt(address);
  const after = heap.chunks.at(address + span);
  const start = before ? before[0] : address;
  const end = after ? after[0] + after[1] : address + span;
  return [start, end - start];
}

/** Grows the break just enough, extending a free chunk at the top of the heap (as sbrk does). */
function growExactly(heap: HeapShape, span: number, align: number): Growth {
  const top = heap.chunks.endingAt(heap.brk);
  const to = alignUp(top ? top[0] : heap.brk, align) + span;
  return { to, chunk: coalesce(heap, heap.brk, to - heap.brk) };
}

/** The request rounded up to the alignment (at least one granule, so every block has an address of its own). */
const alignedSpan = (size: number, align: number): number => alignUp(Math.max(size, 1), align);

const firstFit: Policy = {
  name: 'first-fit',
  span: alignedSpan,
  place(heap, span, align) {
    let placement: Placement | undefined;
    heap.chunks.scan((start, size) => {
      const address = fitIn(start, size, span, align);
      if (address !== undefined) placement = carve([start, size], address, span);
      return placement !== undefined;
    });
    return placement;
  },
  release: coalesce,
  grow: growExactly,
};

/** The smallest chunk that fits (the lowest address among equals). */
function bestFitPlace(heap: HeapShape, span: number, align: number): Placement | undefined {
  let bestStart = 0;
  let bestSize = Infinity;
  let bestAddress = -1;
  heap.chunks.scan((start, size) => {
    if (size < span || size >= bestSize) return false;
    const address = fitIn(start, size, span, align);
    if (address === undefined) return false;
    [bestStart, bestSize, bestAddress] = [start, size, address];
    return size === span;
  });
  return bestAddress < 0 ? undefined : carve([bestStart, bestSize], bestAddress, span);
}

const bestFit: Policy = {
  name: 'best-fit',
  span: alignedSpan,
  place: bestFitPlace,
  release: coalesce,
  grow: growExactly,
};

/** Size classes as jemalloc spaces them: multiples of the alignment to 128, then four per doubling. */
const SMALL_LIMIT = 4096;
function sizeClass(size: number, align: number): number {
  const n = alignUp(Math.max(size, 1), align);
  if (n <= 128 || n > SMALL_LIMIT) return n;
  const step = 2 ** (Math.ceil(Math.log2(n)) - 3);
  return alignUp(n, step);
}

/**
 * Segregated fits: small requests round up to a size class and reuse a freed block of exactly
 * that class (the lowest address), which is never merged, so a class's blocks stay ready for it;
 * otherwise, and for large requests, the best-fitting chunk is split.
 */
const segregated: Policy = {
  name: 'segregated',
  span: sizeClass,
  place(heap, span, align) {
    if (span <= SMALL_LIMIT) {
      let exact: Chunk | undefined;
      heap.chunks.scan((start, size) => {
        if (size === span && start % align === 0) exact = [start, size];
        return exact !== undefined;
      });
      if (exact) return carve(exact, exact[0], span);
    }
    return bestFitPlace(heap, span, align);
  },
  release: (heap, address, span) =>
    span <= SMALL_LIMIT ? [address, span] : coalesce(heap, address, span),
  grow: growExactly,
};

const nextPowerOfTwo = (n: number): number => 2 ** Math.ceil(Math.log2(n));

/**
 * The binary buddy system (Knowlton): blocks are powers of two at offsets from the heap's base
 * that are multiples of their size; a request takes the smallest free block that fits, split in
 * halves down to its size; a freed block merges with its buddy while the buddy is free; the
 * heap doubles when nothing fits.
 */
const buddy: Policy = {
  name: 'buddy',
  span: (size, align) => nextPowerOfTwo(Math.max(size, align)),
  place(heap, span) {
    let start = 0;
    let size = Infinity;
    heap.chunks.scan((at, bytes) => {
      if (bytes >= span && bytes < size) [start, size] = [at, bytes];
      return size === span;
    });
    if (size === Infinity) return undefined;
    const rest: Chunk[] = [];
    for (let half = size / 2; half >= span; half /= 2) rest.push([start + half, half]);
    return { address: start, from: [start, size], rest: rest.reverse() };
  },
  release(heap, address, span) {
    return mergeBuddies(heap, address, span, heap.brk);
  },
  grow(heap, span) {
    const size = heap.brk - heap.base;
    const to = heap.base + (size === 0 ? span : size * 2);
    return { to, chunk: mergeBuddies(heap, heap.brk, to - heap.brk, to) };
  },
};

/** Merges a free block with its buddy while the buddy is free, up to the whole heap below `brk`. */
function mergeBuddies(heap: HeapShape, address: number, span: number, brk: number): Chunk {
  let offset = address - heap.base;
  let size = span;
  const limit = brk - heap.base;
  while (size < limit) {
    // offset ^ size, without the 32-bit limit of JavaScript's bitwise operators
    const buddyOffset = (offset / size) % 2 === 0 ? offset + size : offset - size;
    const free = heap.chunks.at(heap.base + buddyOffset);
    if (!free || free[1] !== size) break;
    offset = Math.min(offset, buddyOffset);
    size *= 2;
  }
  return [heap.base + offset, size];
}

const POLICY_BY_NAME: Readonly<Record<PolicyName, Policy>> = {
  'first-fit': firstFit,
  'best-fit': bestFit,
  segregated,
  buddy,
};

export function policyNamed(name: PolicyName): Policy {
  return POLICY_BY_NAME[name];
}
