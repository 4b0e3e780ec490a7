import {
  Simulation,
  defineCommand,
  definePlugin,
  handle,
  returns,
  type CommandHandlers,
  type EventRecord,
  type LogRecord,
} from '@chronovisor/core';
import { z } from 'zod';
import { MMU_PLUGIN, MmuQuery, mmuPlugin } from './index';
import { createPartition, createSpace, map, read, write } from './mmu-commands';
import { machine } from './test-support/machine';

const brief = (records: Iterable<LogRecord>) =>
  [...records].map((r) => [r.seq, r.kind, r.type, r.actor, r.cause]);

describe('MMU commands from outside the simulation', () => {
  function setup() {
    const m = machine();
    m.ok(m.sim.dispatch(createPartition, { name: 'host', frames: 16 }));
    const space = m.ok(m.sim.dispatch(createSpace, { kind: 'host', partition: 'host' }));
    return { ...m, space };
  }

  it('are recorded with their checked arguments, defaults filled in', () => {
    const { sim, space } = setup();
    const { seq } = sim.dispatch(map, { space, va: 0, pages: 1 }, { actor: 'vm:1/proc:4' });
    expect([...sim.store.read(seq, seq)]).toEqual([
      {
        seq,
        tick: 3,
        actor: 'vm:1/proc:4',
        cause: 0,
        kind: 'command',
        type: 'mmu.map',
        args: { space, va: 0, pages: 1, perms: 'rw-', kernel: false, lazy: false },
      },
    ]);
    // A read records only what its caller said: `access` and `kernel` have no schema defaults.
    const r = sim.dispatch(read, { space, va: 0, length: 2 });
    expect([...sim.store.read(r.seq, r.seq)][0]).toMatchObject({
      args: { space, va: 0, length: 2 },
    });
  });

  it('keep what a write wrote, whatever the caller does with its buffer afterwards', () => {
    const { sim, space, query } = setup();
    sim.dispatch(map, { space, va: 0, pages: 1 });
    const data = Uint8Array.of(1, 2);
    const { seq } = sim.dispatch(write, { space, va: 0, data });
    data.fill(9);
    const [command, event] = [...sim.store.read(seq, seq + 1)];
    expect(command).toMatchObject({ kind: 'command', args: { data: Uint8Array.of(1, 2) } });
    expect(event).toMatchObject({
      type: 'mmu.memory.written',
      data: { data: Uint8Array.of(1, 2) },
    });
    expect(query.read(space, 0, 2)).toEqual(Uint8Array.of(1, 2));
  });

  it('are refused, and recorded as refused, when a field is unknown or bad', () => {
    const { sim, space } = setup();
    const refused = sim.dispatch('mmu.read', { space, va: 0, length: 1, lenght: 2 });
    expect(refused.rejection).toEqual({
      error: 'ValidationError',
      message: 'Invalid command mmu.read: args: Unrecognized key: "lenght"',
    });
    expect([...sim.store.read(refused.seq)]).toMatchObject([
      { kind: 'command', type: 'mmu.read', rejection: refused.rejection },
    ]);
    expect(sim.dispatch('mmu.map', { space, va: 0, pages: 0 }).rejection?.message).toBe(
      'Invalid command mmu.map: args.pages = 0: Too small: expected number to be >=1',
    );
    expect(
      sim.dispatch('mmu.create-space', { kind: 'guest', partition: 'host' }).rejection,
    ).toEqual({
      error: 'ValidationError',
      message:
        'Invalid command mmu.create-space: args.vm: Invalid input: expected number, received undefined; args: Unrecognized key: "partition"',
    });
  });
});

// A plugin that uses the MMU's published commands through calls, as the heap does.
const boot = defineCommand('loader.boot', {
  args: z.object({ va: z.number().int(), image: z.instanceof(Uint8Array) }),
  returns: returns<number>(),
});

class LoaderCommands implements CommandHandlers {
  readonly handlers = [
    handle(boot, ({ va, image }, context) => {
      context.call(createPartition, { name: 'boot', frames: 4 });
      const space = context.call(createSpace, { kind: 'host', partition: 'boot' });
      context.call(map, { space, va, pages: 1, perms: 'rwx', kernel: false, lazy: false });
      // The loader reuses its buffer once the write is done, as a program reuses its I/O buffer.
      const buffer = image.slice();
      const written = context.call(write, { space, va, data: buffer });
      if (!written.ok) throw new Error(`loading faulted: ${written.fault.kind}`);
      buffer.fill(0);
      return space;
    }),
  ];
}

const loaderPlugin = definePlugin({
  package: { name: '@test/loader', version: '1.0.0' },
  requires: { [MMU_PLUGIN]: '^1.0.0' },
  commands: [boot],
  handlers: [LoaderCommands],
});

describe('MMU commands called by another plugin', () => {
  const simulation = () =>
    new Simulation({ plugins: [mmuPlugin({ frames: 16 }), loaderPlugin()], seed: 1 });

  it('leave only their events, acted by the calling plugin for the command from outside', () => {
    const sim = simulation();
    const result = sim.dispatch(boot, { va: 0x1000, image: Uint8Array.of(0x90, 0xc3) });
    expect(result).toMatchObject({ ok: true, value: 1 });
    expect(brief(sim.store.read(1))).toEqual([
      [1, 'command', 'loader.boot', 'user', 0],
      [2, 'event', 'mmu.partition.created', 'plugin:loader', 1],
      [3, 'event', 'mmu.space.created', 'plugin:loader', 1],
      [4, 'event', 'mmu.pages.mapped', 'plugin:loader', 1],
      [5, 'event', 'mmu.memory.written', 'plugin:loader', 1],
    ]);
    const written = result.events.at(-1) as EventRecord<{ data: Uint8Array }>;
    expect(written.data.data).toEqual(Uint8Array.of(0x90, 0xc3));
    expect(sim.get(MmuQuery).read(1, 0x1000, 2)).toEqual(Uint8Array.of(0x90, 0xc3));
  });

  it("refuse the caller's command when refused, with the MMU's own check named", () => {
    const sim = simulation();
    const digest = sim.digest();
    const result = sim.dispatch(boot, { va: 0x123, image: Uint8Array.of(1) });
    expect(result.rejection).toEqual({
      error: 'ValidationError',
      message: 'Invalid command mmu.map: args.va: 0x123 is not aligned to a 4096-byte page',
    });
    expect(brief(sim.store.read(1))).toEqual([[1, 'command', 'loader.boot', 'user', 0]]);
    expect(sim.digest()).toBe(digest);
    expect(sim.get(MmuQuery).partitions()).toEqual([]);
  });
});
