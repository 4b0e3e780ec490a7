import {
  Simulation,
  type CommandType,
  type InputOf,
  type Plugin,
  type ResultOf,
} from '@chronovisor/core';
import { createPartition, mmuPlugin } from '@chronovisor/mmu';
import { ProcQuery, checkpointPlugin, createDomain } from '@chronovisor/plugin-checkpoint';

/**
 * A machine with two pid namespaces, `src` and `dst`, over two partitions, with `plugins` (the
 * heap, the handle tables) between the MMU and the checkpoint plugin: what a process carries.
 */
export function twoDomains(plugins: readonly Plugin[]) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 8192 }), ...plugins, checkpointPlugin()],
    seed: 1,
  });
  /** Dispatches a command that must succeed; its value. */
  const run = <C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> => {
    const result = sim.dispatch(command, args);
    if (!result.ok) throw new Error(`${command.type} refused: ${result.rejection!.message}`);
    return result.value as ResultOf<C>;
  };
  run(createPartition, { name: 'left', frames: 4000 });
  run(createPartition, { name: 'right', frames: 4000 });
  run(createDomain, { name: 'src', partition: 'left' });
  run(createDomain, { name: 'dst', partition: 'right' });
  return { sim, run, procs: sim.get(ProcQuery) };
}
