import {
  Simulation,
  type CommandType,
  type InputOf,
  type Plugin,
  type ResultOf,
} from '@chronovisor/core';
import { createPartition, createSpace, map, mmuPlugin } from '@chronovisor/mmu';
import { ProcQuery, checkpointPlugin, createDomain, restore } from '@chronovisor/plugin-checkpoint';

/** Where the two domains run: over host partitions, or as guest kernels of two VMs. */
export type DomainsIn = 'host' | 'vm';

/**
 * A machine with two pid namespaces, `src` and `dst`, over two partitions (or inside two VMs of
 * 1,024 pages of memory each), with `plugins` (the heap, the handle tables) between the MMU and
 * the checkpoint plugin: what a process carries.
 */
export function twoDomains(plugins: readonly Plugin[], where: DomainsIn = 'host') {
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
  for (const [domain, partition] of [
    ['src', 'left'],
    ['dst', 'right'],
  ] as const) {
    run(createPartition, { name: partition, frames: 4000 });
    if (where === 'host') run(createDomain, { name: domain, partition });
    else {
      const vm = run(createSpace, { kind: 'vm', partition });
      run(map, { space: vm, va: 0, pages: 1024 });
      run(createDomain, { name: domain, vm });
    }
  }
  return { sim, run, procs: sim.get(ProcQuery) };
}

/** Restores image `name` into `dst` of `target`, which must refuse it whole; the refusal's message. */
export function refusedRestore(target: ReturnType<typeof twoDomains>, name: string): string {
  const result = target.sim.dispatch(restore, { image: name, domain: 'dst' });
  expect(result.ok).toBe(false);
  expect(target.procs.processes('dst')).toEqual([]); // all or nothing
  return result.rejection!.message;
}
