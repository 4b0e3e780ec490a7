import { EventTypeRegistry } from './event-type-registry';
import type { EventRecord } from './record';

function record(type: string, v: number, data: unknown): EventRecord {
  return { seq: 7, tick: 1, actor: 'test', cause: 6, kind: 'event', type, v, data };
}

describe('EventTypeRegistry', () => {
  // Version 1 stored a size in KiB; version 2 in bytes; version 3 renamed it.
  const registry = new EventTypeRegistry();
  registry.register('@x/heap', [
    {
      type: 'heap.block.allocated',
      version: 3,
      upcasters: {
        1: (data: { kib: number }) => ({ bytes: data.kib * 1024 }),
        2: (data: { bytes: number }) => ({ size: data.bytes }),
      },
    },
  ]);

  it('reads a version-1 record through every upcaster in turn', () => {
    const upcast = registry.upcast(record('heap.block.allocated', 1, { kib: 2 }));
    expect(upcast).toEqual(record('heap.block.allocated', 3, { size: 2048 }));
  });

  it('returns a current record as it is', () => {
    const current = record('heap.block.allocated', 3, { size: 1 });
    expect(registry.upcast(current)).toBe(current);
  });

  it('refuses a record from a newer plugin or of an unknown type, naming the seq', () => {
    expect(() => registry.upcast(record('heap.block.allocated', 4, {}))).toThrow(
      'Record 7: "heap.block.allocated" version 4 cannot be read by "@x/heap", which knows versions 1 to 3',
    );
    expect(() => registry.upcast(record('heap.block.freed', 1, {}))).toThrow(
      'Record 7: event type "heap.block.freed" is not declared by any plugin in this set',
    );
  });

  it('refuses a missing upcaster, a duplicate type and a malformed name', () => {
    expect(() =>
      new EventTypeRegistry().register('@x/a', [{ type: 'a.thing.changed', version: 2 }]),
    ).toThrow('gives no upcaster from version 1 to 2');
    expect(() => registry.register('@x/other', [{ type: 'heap.block.allocated' }])).toThrow(
      'Event type "heap.block.allocated" is declared by both "@x/heap" and "@x/other"',
    );
    expect(() => registry.register('@x/a', [{ type: 'Heap.Allocated' }])).toThrow(
      'not of the form',
    );
  });
});
