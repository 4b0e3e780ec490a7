import { z } from 'zod';
import { DeclarationError, defineEvent } from './declarations';
import { EventTypeRegistry } from './event-type-registry';
import type { EventRecord } from './record';

function record(type: string, v: number, data: unknown): EventRecord {
  return { seq: 7, tick: 1, actor: 'test', cause: 6, kind: 'event', type, v, data };
}

// Version 1 stored a size in KiB; version 2 in bytes; version 3 renamed it.
const allocated = defineEvent('heap.block.allocated', {
  data: z.object({ size: z.number() }),
  version: 3,
  upcasters: {
    1: (data: { kib: number }) => ({ bytes: data.kib * 1024 }),
    2: (data: { bytes: number }) => ({ size: data.bytes }),
  },
  description: 'A block was allocated.',
});
const freed = defineEvent('heap.block.freed', { data: z.object({ at: z.number() }) });

describe('EventTypeRegistry', () => {
  const registry = new EventTypeRegistry();
  registry.register('@x/heap', [allocated, freed]);

  it('reads a version-1 record through every upcaster in turn, into a frozen copy', () => {
    const old = record('heap.block.allocated', 1, { kib: 2 });
    const upcast = registry.upcast(old);
    expect(upcast).toEqual(record('heap.block.allocated', 3, { size: 2048 }));
    expect(Object.isFrozen(upcast)).toBe(true);
    expect(old).toEqual(record('heap.block.allocated', 1, { kib: 2 }));
    expect(registry.upcast(record('heap.block.allocated', 2, { bytes: 10 }))).toEqual(
      record('heap.block.allocated', 3, { size: 10 }),
    );
  });

  it('returns a current record as it is', () => {
    const current = record('heap.block.allocated', 3, { size: 1 });
    expect(registry.upcast(current)).toBe(current);
  });

  it('refuses a record from a newer plugin, an impossible version or an unknown type, naming the seq', () => {
    expect(() => registry.upcast(record('heap.block.allocated', 4, {}))).toThrow(
      'Record 7: "heap.block.allocated" version 4 cannot be read by "@x/heap", which knows versions 1 to 3',
    );
    expect(() => registry.upcast(record('heap.block.allocated', 0, {}))).toThrow(
      'Record 7: "heap.block.allocated" version 0 cannot be read by "@x/heap", which knows versions 1 to 3',
    );
    expect(() => registry.upcast(record('heap.block.resized', 1, {}))).toThrow(
      'Record 7: event type "heap.block.resized" is not declared by any plugin in this set',
    );
  });

  it('lists each type with its version, owner and description', () => {
    expect(registry.list()).toEqual([
      {
        type: 'heap.block.allocated',
        version: 3,
        owner: '@x/heap',
        description: 'A block was allocated.',
      },
      { type: 'heap.block.freed', version: 1, owner: '@x/heap' },
    ]);
    expect(registry.version('heap.block.freed')).toBe(1);
    expect(registry.version('heap.block.resized')).toBeUndefined();
    expect(registry.has('heap.block.allocated')).toBe(true);
    expect(registry.has('heap.block.resized')).toBe(false);
  });
});

describe('defineEvent refuses', () => {
  it('a version without an upcaster from each older one', () => {
    expect(() =>
      defineEvent('a.thing.changed', {
        data: z.object({}),
        version: 3,
        upcasters: { 1: (data: unknown) => data },
      }),
    ).toThrow(
      new DeclarationError(
        'Event type "a.thing.changed" is at version 3 but gives no upcaster from version 2 to 3',
      ),
    );
  });

  it('a version that is not an integer from 1', () => {
    expect(() => defineEvent('a.thing.changed', { data: z.object({}), version: 0 })).toThrow(
      'Event type "a.thing.changed" has version 0; versions are integers from 1',
    );
    expect(() => defineEvent('a.thing.changed', { data: z.object({}), version: 1.5 })).toThrow(
      'Event type "a.thing.changed" has version 1.5; versions are integers from 1',
    );
  });

  it('a malformed name', () => {
    for (const type of ['Heap.Allocated', 'heap.allocated', 'heap..block.allocated']) {
      expect(() => defineEvent(type, { data: z.object({}) })).toThrow(
        `Event type "${type}" is not of the form <plugin>.<noun>.<past-tense verb> in lowercase`,
      );
    }
  });
});
