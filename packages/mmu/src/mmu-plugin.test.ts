import { Simulation } from '@chronovisor/core';
import mmuPluginDefault, {
  MMU_COMMANDS,
  MMU_EVENTS,
  MMU_PLUGIN,
  MmuQuery,
  mmuPlugin,
} from './index';
import { createPartition, createSpace, map } from './mmu-commands';

describe('the MMU plugin', () => {
  it('is the package default export, named as other plugins require it', () => {
    expect(mmuPluginDefault).toBe(mmuPlugin);
    expect(mmuPlugin.manifest).toEqual({
      name: MMU_PLUGIN,
      version: '1.0.0',
      description:
        "Chronovisor's core MMU: physical frames, partitions, address spaces, multi-level and two-stage page tables, TLB.",
      prefix: 'mmu',
    });
  });

  it('declares each command and event type once, all of them its own', () => {
    const plugin = mmuPlugin();
    expect(plugin.commands.map((c) => c.type)).toEqual([
      'mmu.create-partition',
      'mmu.create-space',
      'mmu.destroy-space',
      'mmu.fork',
      'mmu.map',
      'mmu.unmap',
      'mmu.protect',
      'mmu.share',
      'mmu.remap',
      'mmu.export',
      'mmu.load',
      'mmu.mark',
      'mmu.read',
      'mmu.write',
      'mmu.flush',
    ]);
    expect(plugin.commands).toEqual(MMU_COMMANDS);
    expect(plugin.events).toEqual(MMU_EVENTS);
    expect(new Set(plugin.events.map((e) => e.type)).size).toBe(19);
    for (const declared of [...plugin.commands, ...plugin.events]) {
      expect(declared.type).toMatch(/^mmu\./);
      expect(declared.description).toBeTruthy();
    }
  });

  it('runs with the defaults', () => {
    const sim = new Simulation({ plugins: [mmuPlugin()] });
    expect(sim.get(MmuQuery).config).toEqual({
      pageSize: 4096,
      pageShift: 12,
      levels: 4,
      bitsPerLevel: 9,
      vaBits: 48,
      vaLimit: 2 ** 48,
      frames: 16_384,
      tlb: { entries: 64, policy: 'lru' },
    });
  });

  it('runs with options, and checks ranges against them', () => {
    const sim = new Simulation({
      plugins: [mmuPlugin({ frames: 64, pageSize: 8192, tlb: { entries: 8, policy: 'fifo' } })],
    });
    expect(sim.get(MmuQuery).config).toMatchObject({
      pageSize: 8192,
      pageShift: 13,
      vaBits: 49,
      frames: 64,
      tlb: { entries: 8, policy: 'fifo' },
    });
    sim.dispatch(createPartition, { name: 'host', frames: 64 });
    const space = sim.dispatch(createSpace, { kind: 'host', partition: 'host' }).value!;
    expect(sim.dispatch(map, { space, va: 0x1000, pages: 1 }).rejection?.message).toBe(
      'Invalid command mmu.map: args.va: 0x1000 is not aligned to a 8192-byte page',
    );
    expect(sim.dispatch(map, { space, va: 0x2000, pages: 2 }).value).toEqual([0, 1]);
  });

  it('refuses bad options, naming the field', () => {
    expect(() => mmuPlugin({ pageSize: 3000 })).toThrow(
      'Invalid options of plugin "@chronovisor/mmu": options.pageSize = 3000: must be a power of two',
    );
    expect(() => mmuPlugin({ frames: 64, frame: 3 } as never)).toThrow(
      'Invalid options of plugin "@chronovisor/mmu": options: Unrecognized key: "frame"',
    );
    expect(() => mmuPlugin({ levels: 6, bitsPerLevel: 16 })).toThrow(
      'A 6-level table of 16 bits per level with 4096-byte pages spans 108-bit addresses; at most 52 fit in a JS number',
    );
  });
});
