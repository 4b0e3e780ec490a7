import type { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import { HandlesClient, HandlesQuery } from '@chronovisor/plugin-handles';

/** Handles the program opens: enough for a third level with 8-entry leaves and 4-pointer tables. */
const FILES = 40;

/**
 * A process opens files one by one while two resolver threads look up handles spread over the
 * table (the oldest, one in the middle, the newest). The table starts as one leaf page; the
 * eighth handle adds a mid level over two leaves, the thirty-second a top level over two mid
 * tables, each published by one store of the table code: the resolvers never wait for growth and
 * never miss a handle. Then half the files are closed, and a handle kept after its close is
 * refused, not resolved to the file that took its slot.
 */
export default function handleTableGrowth(sim: Simulation): void {
  sim.dispatch(mmu.createPartition, { name: 'proc', frames: 64 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'proc' }).value!;
  const opener = new HandlesClient(sim, space, 'app:opener');
  const resolvers = [1, 2].map((i) => new HandlesClient(sim, space, `app:resolver-${i}`));
  const query = sim.get(HandlesQuery);

  const open: number[] = [];
  for (let n = 0; n < FILES; n++) {
    open.push(opener.create('file', `data-${n}.bin`));
    // Whatever the table's shape now, every handle open so far resolves to its own file.
    for (const [i, handle] of [open[0]!, open[n >> 1]!, open[n]!].entries()) {
      const object = resolvers[i % 2]!.resolve(handle, 'file');
      if (object !== query.lookup(space, handle)) throw new Error('a resolver missed a handle');
    }
  }
  if (query.table(space)!.levels !== 3) throw new Error('the table did not grow to three levels');

  const closer = new HandlesClient(sim, space, 'app:closer');
  for (let n = 0; n < FILES; n += 2) closer.close(open[n]!);
  const reopened = opener.create('file', 'late.bin'); // LIFO: the slot closed last
  sim.dispatch(
    'handles.resolve',
    { space, handle: open[FILES - 2]!, type: 'file' }, // kept after its close: refused as stale
    { actor: 'app:resolver-1' },
  );
  resolvers[0]!.resolve(reopened, 'file');
}
