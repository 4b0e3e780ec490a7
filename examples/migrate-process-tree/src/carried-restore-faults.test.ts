import { checkpoint, fork, restore, spawn } from '@chronovisor/plugin-checkpoint';
import * as handles from '@chronovisor/plugin-handles';
import { HandlesQuery, handlesPlugin } from '@chronovisor/plugin-handles';
import * as heap from '@chronovisor/plugin-heap';
import { HeapQuery, heapPlugin } from '@chronovisor/plugin-heap';
import { twoDomains } from './test-support/two-domains';

describe.each(['host', 'vm'] as const)(
  'a restore that carries heaps and handle tables (domains over %s memory)',
  (where) => {
    it('is all or nothing: a failure at any of its steps leaves the machine as it was', () => {
      const { sim, run, procs } = twoDomains([heapPlugin(), handlesPlugin()], where);
      const root = run(spawn, { domain: 'src', pages: 2 });
      const rootSpace = procs.process('src', root)!.space;
      run(heap.malloc, { space: rootSpace, size: 100 });
      run(heap.free, { space: rootSpace, ptr: run(heap.malloc, { space: rootSpace, size: 40 }) });
      const handle = run(handles.create, { space: rootSpace, type: 'file', name: '/etc/hosts' });
      const child = run(fork, { domain: 'src', pid: root });
      run(heap.malloc, { space: procs.process('src', child)!.space, size: 8 });
      run(checkpoint, { domain: 'src', root, name: 'tree' });

      const before = sim.digest();
      const failed: string[] = [];
      for (let step = 0; ; step++) {
        const result = sim.dispatch(restore, { image: 'tree', domain: 'dst', failAt: step });
        if (result.ok) break;
        const what = new RegExp(
          `^Failure injected at step ${step} of the restore \\((.+)\\)$`,
        ).exec(result.rejection!.message);
        expect(what).not.toBeNull();
        failed.push(what![1]!);
        expect(sim.digest()).toBe(before);
        expect(procs.processes('dst')).toEqual([]);
      }
      // Every step failed once, the heaps' and the table's restores among them.
      expect(failed.filter((w) => w === 'heap.restore-state')).toHaveLength(2);
      expect(failed.filter((w) => w === 'handles.restore-state')).toHaveLength(2);
      const space = (pid: number) => procs.process('dst', pid)!.space;
      const heaps = sim.get(HeapQuery);
      expect(heaps.blocks(space(root))).toEqual(heaps.blocks(rootSpace));
      expect(heaps.blocks(space(child))).toEqual(heaps.blocks(procs.process('src', child)!.space));
      const tables = sim.get(HandlesQuery);
      expect(tables.lookup(space(root), handle)).toBe(tables.lookup(rootSpace, handle));
    });
  },
);
