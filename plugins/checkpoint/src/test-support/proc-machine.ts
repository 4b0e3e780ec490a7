import { Simulation, type CommandType, type InputOf, type ResultOf } from '@chronovisor/core';
import { MmuQuery, createPartition, mmuPlugin } from '@chronovisor/mmu';
import { checkpointPlugin } from '../checkpoint-plugin';
import type { ProcOptions } from '../proc-options';
import { createDomain } from '../proc-commands';
import { ProcQuery } from '../proc-query';

/** A machine with two domains (`src` and `dst`) over two partitions. */
export function procMachine(options: ProcOptions = {}) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 8192 }), checkpointPlugin(options)],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'left', frames: 4000 });
  sim.dispatch(createPartition, { name: 'right', frames: 4000 });
  sim.dispatch(createDomain, { name: 'src', partition: 'left' });
  sim.dispatch(createDomain, { name: 'dst', partition: 'right' });
  /** Dispatches a command that must succeed; its value. */
  const run = <C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> => {
    const result = sim.dispatch(command, args);
    if (!result.ok) throw new Error(`${command.type} refused: ${result.rejection!.message}`);
    return result.value as ResultOf<C>;
  };
  return { sim, run, query: sim.get(ProcQuery), mmu: sim.get(MmuQuery) };
}
