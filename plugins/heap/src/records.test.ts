import type { LogRecord } from '@chronovisor/core';
import { memoryWritten } from '@chronovisor/mmu';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { malloc, store } from './heap-commands';
import { blockAllocated } from './heap-events';
import type { PolicyName } from './heap-options';
import { POLICIES } from './heap-options';
import { heapMachine } from './test-support/heap-machine';
import { parseTrace } from './trace/trace-format';

const trace = parseTrace(
  readFileSync(path.join(__dirname, '../fixtures/alloc-traces/grep-recursive.trace'), 'utf8'),
  'grep-recursive.trace',
);

/** The records of each command, by its seq. */
function byCommand(records: readonly LogRecord[]): Map<number, LogRecord[]> {
  const out = new Map<number, LogRecord[]>();
  for (const record of records) {
    const seq = record.kind === 'command' ? record.seq : record.cause;
    out.set(seq, [...(out.get(seq) ?? []), record]);
  }
  return out;
}

describe('what a heap command records', () => {
  it.each(POLICIES)(
    'a malloc under %s: the command, the block and the info word, unless the heap grows',
    (policy: PolicyName) => {
      const { sim, space } = heapMachine({ policy }, 65_536);
      const start = sim.seq;
      const refs = new Map<number, number>();
      trace.ops.forEach((op, i) => {
        if (op.op === 'alloc') {
          refs.set(op.id, i);
          sim.dispatch(malloc, { space, size: op.size, ref: i });
        } else sim.dispatch('heap.free', { space, ref: refs.get(op.id)! });
      });
      let mallocs = 0;
      for (const records of byCommand([...sim.store.read(start + 1)]).values()) {
        const [command] = records;
        if (command?.kind !== 'command' || command.type !== malloc.type) continue;
        mallocs++;
        const types = records.map((r) => r.type);
        if (types.includes('heap.region.extended')) continue; // and the pages it mapped
        expect(types).toEqual([malloc.type, blockAllocated.type, memoryWritten.type]);
      }
      expect(mallocs).toBe(trace.ops.filter((op) => op.op === 'alloc').length);
    },
  );

  it('a store: its bytes copied once at the boundary, the copy written as it is', () => {
    const { sim, space, heap } = heapMachine();
    const p = heap.malloc(8);
    const data = Uint8Array.of(1, 2, 3);
    const result = sim.dispatch(store, { space, ptr: p, data });
    data[0] = 9; // the caller's buffer is its own: what was recorded stays
    const [command, written] = [...sim.store.read(result.seq)];
    expect(command).toMatchObject({ kind: 'command', args: { data: Uint8Array.of(1, 2, 3) } });
    expect(written).toMatchObject({
      type: memoryWritten.type,
      data: { data: Uint8Array.of(1, 2, 3) },
    });
    expect([...heap.load(p, 3)]).toEqual([1, 2, 3]);
  });
});
