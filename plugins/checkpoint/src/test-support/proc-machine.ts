import { Simulation, type CommandType, type InputOf, type ResultOf } from '@chronovisor/core';
import { MmuQuery, createPartition, createSpace, map, mmuPlugin } from '@chronovisor/mmu';
import { checkpointPlugin } from '../checkpoint-plugin';
import type { ProcOptions } from '../proc-options';
import { createDomain } from '../proc-commands';
import { ProcQuery } from '../proc-query';

/** A machine with two domains (`src` and `dst`) over two partitions, or inside a VM in each. */
export function procMachine(options: ProcOptions = {}, where: 'host' | 'vm' = 'host') {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 8192 }), checkpointPlugin(options)],
    seed: 1,
  });
  for (const [domain, partition] of [
    ['src', 'left'],
    ['dst', 'right'],
  ] as const) {
    sim.dispatch(createPartition, { name: partition, frames: 4000 });
    if (where === 'host') sim.dispatch(createDomain, { name: domain, partition });
    else {
      // A VM of 2,048 pages of memory, its guest kernel's domain inside.
      const vm = sim.dispatch(createSpace, { kind: 'vm', partition }).value!;
      sim.dispatch(map, { space: vm, va: 0, pages: 2048 });
      sim.dispatch(createDomain, { name: domain, vm });
    }
  }
  /** Dispatches a command that must succeed; its value. */
  const run = <C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> => {
    const result = sim.dispatch(command, args);
    if (!result.ok) throw new Error(`${command.type} refused: ${result.rejection!.message}`);
    return result.value as ResultOf<C>;
  };
  return { sim, run, query: sim.get(ProcQuery), mmu: sim.get(MmuQuery) };
}
