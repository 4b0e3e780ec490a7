import type { Block, FreedBlock, Heap } from './heap';
import type { BlockReport, ViolationDetected, ViolationKind } from './heap-events';
import { addressOf, tagOf, tagOfCount, type AllocationInfo } from './pointer';

/** What checking a pointer found: the block it may use, or the violation to report. */
export type Verdict =
  | { readonly ok: true; readonly block: Block }
  | { readonly ok: false; readonly violation: ViolationDetected };

/** Reads the info word at a block start (through the MMU). */
export type InfoReader = (heap: Heap, address: number) => AllocationInfo;

/**
 * The identifier check of US7403887B1 on the heap info of US12292828B2: a pointer may free,
 * reallocate or access a block only if its tag equals the count stored at the block's info
 * address and the block is allocated. When the check fails, the heap's memory of freed blocks
 * and neighbours says what went wrong, as HWASan's reports do.
 */
export function checkRelease(
  heap: Heap,
  ptr: number,
  op: 'free' | 'realloc',
  readInfo: InfoReader,
): Verdict {
  const { address, tag, fail } = probe(heap, ptr, { op });
  const stale: ViolationKind = op === 'free' ? 'double-free' : 'stale-realloc';
  if (address < heap.base || address >= heap.brk || address % heap.alignment !== 0) {
    return fail('invalid-free', blockReport(heap.blockContaining(address)));
  }
  const info = readInfo(heap, address);
  const found = { info };
  if (info.count === 0)
    return fail('invalid-free', { ...found, ...blockReport(heap.blockContaining(address)) });
  const matches = tagOfCount(info.count, heap.tagBits) === tag;
  if (info.allocated && matches) return { ok: true, block: heap.blocks.get(address)! };
  const freed = heap.freed.get(address)?.get(tag);
  if (freed)
    return fail(stale, {
      ...found,
      freed: report(freed),
      ...blockReport(heap.blocks.get(address)),
    });
  if (!info.allocated && matches) return fail(stale, found);
  const inside = heap.blockContaining(address);
  if (inside && inside.address !== address)
    return fail('invalid-free', { ...found, ...blockReport(inside) });
  return fail('forged-pointer', { ...found, ...blockReport(heap.blocks.get(address)) });
}

/** Checks a load or store of `length` bytes through `ptr`: tag, authority, then bounds. */
export function checkAccess(
  heap: Heap,
  ptr: number,
  length: number,
  op: 'load' | 'store',
  readInfo: InfoReader,
): Verdict {
  const { address, tag, fail } = probe(heap, ptr, { op, length });
  const block = heap.blockContaining(address);
  if (block) {
    const info = readInfo(heap, block.address);
    if (info.allocated && tagOfCount(info.count, heap.tagBits) === tag) {
      return address + length <= block.address + block.size
        ? { ok: true, block }
        : fail('out-of-bounds', { info, block: report(block) });
    }
  }
  // The most specific evidence first, as HWASan ranks its candidate causes: the live block right
  // beside the address with the pointer's tag means a linear overrun; else a freed block that
  // held this very address under that tag means a use after free; else a live block further off
  // with the tag means a wilder overrun (with 2^k tags, a far block may share the tag by chance,
  // so it is the weakest evidence).
  const sameTag = (b: Block) => tagOfCount(b.count, heap.tagBits) === tag;
  const beside = heap.adjacent(address).find(sameTag);
  if (beside) return fail('out-of-bounds', { block: report(beside) });
  const freed = heap.freedCovering(address, tag);
  if (freed) return fail('use-after-free', { freed: report(freed), ...blockReport(block) });
  const overrun = heap.nearby(address).find(sameTag);
  if (overrun) return fail('out-of-bounds', { block: report(overrun) });
  return fail('forged-pointer', blockReport(block));
}

/** A pointer taken apart, and how to report what is wrong with it. */
function probe(heap: Heap, ptr: number, operation: Pick<ViolationDetected, 'op' | 'length'>) {
  const address = addressOf(ptr, heap);
  const tag = tagOf(ptr, heap);
  const fail = (kind: ViolationKind, extra: Partial<ViolationDetected> = {}): Verdict => ({
    ok: false,
    violation: { space: heap.space, kind, ...operation, ptr, address, tag, ...extra },
  });
  return { address, tag, fail };
}

function report(block: Block | FreedBlock): BlockReport {
  const { ptr, address, size, allocSeq } = block;
  return 'freeSeq' in block
    ? { ptr, address, size, allocSeq, freeSeq: block.freeSeq }
    : { ptr, address, size, allocSeq };
}

function blockReport(block: Block | undefined): { block?: BlockReport } {
  return block ? { block: report(block) } : {};
}
