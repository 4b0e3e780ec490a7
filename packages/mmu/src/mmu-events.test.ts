import type { EventRecord } from '@chronovisor/core';
import {
  createPartition,
  createSpace,
  destroySpace,
  exportCommand,
  flush,
  fork,
  load,
  map,
  mark,
  protect,
  read,
  remap,
  share,
  unmap,
  write,
} from './mmu-commands';
import { MMU_EVENTS } from './mmu-events';
import { machine } from './test-support/machine';

describe('the MMU event declarations', () => {
  it('describe every payload the MMU emits, of every type', () => {
    const { sim, ok } = machine();
    ok(sim.dispatch(createPartition, { name: 'red', frames: 16 }));
    ok(sim.dispatch(createPartition, { name: 'blue', frames: 16 }));
    const red = ok(sim.dispatch(createSpace, { kind: 'host', partition: 'red' }));
    const blue = ok(sim.dispatch(createSpace, { kind: 'host', partition: 'blue' }));
    const vm = ok(sim.dispatch(createSpace, { kind: 'vm', partition: 'blue' }));
    const guest = ok(sim.dispatch(createSpace, { kind: 'guest', vm }));
    ok(sim.dispatch(map, { space: red, va: 0, pages: 4 }));
    ok(sim.dispatch(write, { space: red, va: 8, data: Uint8Array.of(1, 2, 3) }));
    ok(sim.dispatch(read, { space: red, va: 8, length: 3 }));
    ok(sim.dispatch(read, { space: red, va: 0x10_0000, length: 1 })); // a fault
    ok(sim.dispatch(protect, { space: red, va: 0x3000, pages: 1, perms: 'r--' }));
    ok(sim.dispatch(mark, { space: red, va: 0, pages: 1, set: 1 << 10 }));
    const child = ok(sim.dispatch(fork, { space: red }));
    ok(sim.dispatch(write, { space: child, va: 0, data: Uint8Array.of(7) })); // copy on write
    ok(sim.dispatch(write, { space: red, va: 0x1000, data: Uint8Array.of(1) })); // breaks copy on write
    ok(sim.dispatch(share, { from: red, va: 0x1000, pages: 1, to: blue, toVa: 0 })); // refused
    ok(sim.dispatch(exportCommand, { space: red, va: 0x1000, pages: 1, partition: 'blue' }));
    ok(sim.dispatch(share, { from: red, va: 0x1000, pages: 1, to: blue, toVa: 0 }));
    ok(sim.dispatch(remap, { from: red, va: 0x2000, pages: 1, to: red, toVa: 0x8000 }));
    ok(sim.dispatch(map, { space: vm, va: 0, pages: 1, lazy: true }));
    ok(sim.dispatch(load, { space: vm, va: 0, data: Uint8Array.of(5) }));
    ok(sim.dispatch(map, { space: guest, va: 0x40_0000, pages: 1, to: 0 }));
    ok(sim.dispatch(write, { space: guest, va: 0x40_0001, data: Uint8Array.of(6) }));
    ok(sim.dispatch(read, { space: guest, va: 0x40_0000, length: 2 }));
    ok(sim.dispatch(unmap, { space: blue, va: 0, pages: 1 }));
    ok(sim.dispatch(flush, { space: red }));
    ok(sim.dispatch(flush, {}));
    ok(sim.dispatch(destroySpace, { space: child }));

    const events = [...sim.store.read(1)].filter((r): r is EventRecord => r.kind === 'event');
    const declarations = new Map(MMU_EVENTS.map((e) => [e.type as string, e]));
    const misfits = events.flatMap((event) => {
      const declaration = declarations.get(event.type);
      if (!declaration) return [`${event.seq} ${event.type}: not declared`];
      const parsed = declaration.schema.safeParse(event.data);
      if (!parsed.success) return [`${event.seq} ${event.type}: ${parsed.error.message}`];
      // Nothing left out either: the schema drops what it does not declare.
      return Object.keys(event.data as object).length === Object.keys(parsed.data).length
        ? []
        : [`${event.seq} ${event.type}: undeclared fields`];
    });
    expect(misfits).toEqual([]);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(declarations.keys()));
  });
});
