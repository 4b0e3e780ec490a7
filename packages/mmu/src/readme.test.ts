import { Simulation } from '@chronovisor/core';
import { MemoryClient, MmuQuery, mmuPlugin } from './index';

// The example at the top of README.md, kept true.
it('does what the README says', () => {
  const sim = new Simulation({ plugins: [mmuPlugin({ frames: 16_384 })], seed: 1 });
  sim.dispatch('mmu.create-partition', { name: 'host', frames: 4096 });
  const space = sim.dispatch('mmu.create-space', { kind: 'host', partition: 'host' }).value!;
  sim.dispatch('mmu.map', { space, va: 0x40_0000, pages: 4, perms: 'rw-' });
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
