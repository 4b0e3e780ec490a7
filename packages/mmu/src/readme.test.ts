import {
  Simulation,
  defineCommand,
  definePlugin,
  handle,
  returns,
  type CommandHandlers,
} from '@chronovisor/core';
import { z } from 'zod';
import {
  MMU_PLUGIN,
  MemoryClient,
  MmuQuery,
  address,
  bytes,
  createPartition,
  createSpace,
  map,
  mmuPlugin,
  write,
} from './index';

// The example at the top of README.md, kept true.
it('does what the README says', () => {
  const sim = new Simulation({ plugins: [mmuPlugin({ frames: 16_384 })], seed: 1 });
  sim.dispatch(createPartition, { name: 'host', frames: 4096 });
  const space = sim.dispatch(createSpace, { kind: 'host', partition: 'host' }).value!;
  sim.dispatch(map, { space, va: 0x40_0000, pages: 4, perms: 'rw-' });
  const memory = new MemoryClient(sim);
  memory.writeU64(space, 0x40_0010, 0xdead_beefn);
  expect(sim.get(MmuQuery).translate(space, 0x40_0010)).toEqual({
    ok: true,
    pa: 0x10,
    flags: 'PRWUAD',
    tlbHit: true,
    cow: false,
  });
});

// The plugin of "From another plugin", kept true.
const boot = defineCommand('loader.boot', {
  args: z.object({ at: address, image: bytes }),
  returns: returns<number>(),
});

class LoaderCommands implements CommandHandlers {
  readonly handlers = [
    handle(boot, ({ at, image }, context) => {
      const space = context.call(createSpace, { kind: 'host', partition: 'host' });
      // A call is trusted: its schema is not applied, so it gives every field, defaults too.
      context.call(map, { space, va: at, pages: 1, perms: 'rwx', kernel: false, lazy: false });
      const written = context.call(write, { space, va: at, data: image });
      if (!written.ok) throw new Error(`loading faulted: ${written.fault.kind}`);
      return space;
    }),
  ];
}

const loaderPlugin = definePlugin({
  package: { name: 'loader', version: '1.0.0' },
  requires: { [MMU_PLUGIN]: '^1.0.0' },
  commands: [boot],
  handlers: [LoaderCommands],
});

it('works from another plugin as the README says', () => {
  const sim = new Simulation({ plugins: [loaderPlugin(), mmuPlugin({ frames: 16 })], seed: 1 });
  sim.dispatch(createPartition, { name: 'host', frames: 16 });
  const booted = sim.dispatch(boot, { at: 0x1000, image: Uint8Array.of(0x90, 0xc3) });
  expect(booted).toMatchObject({ ok: true, value: 1 });
  expect([...sim.store.read(booted.seq)].map((r) => [r.kind, r.type, r.actor, r.cause])).toEqual([
    ['command', 'loader.boot', 'user', 0],
    ['event', 'mmu.space.created', 'plugin:loader', booted.seq],
    ['event', 'mmu.pages.mapped', 'plugin:loader', booted.seq],
    ['event', 'mmu.memory.written', 'plugin:loader', booted.seq],
  ]);
  expect(sim.get(MmuQuery).read(1, 0x1000, 2)).toEqual(Uint8Array.of(0x90, 0xc3));
  // The loader's own argument check is the MMU's.
  expect(sim.dispatch('loader.boot', { at: -4, image: Uint8Array.of(1) }).rejection?.message).toBe(
    'Invalid command loader.boot: args.at = -4: Too small: expected number to be >=0',
  );
  const refused = sim.dispatch(boot, { at: 0x1004, image: Uint8Array.of(1) });
  expect(refused.rejection?.message).toBe(
    'Invalid command mmu.map: args.va: 0x1004 is not aligned to a 4096-byte page',
  );
  expect(
    sim
      .get(MmuQuery)
      .spaces()
      .map((s) => s.id),
  ).toEqual([1]);
});
