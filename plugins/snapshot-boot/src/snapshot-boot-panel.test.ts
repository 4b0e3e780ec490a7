import { Panel, Projector, type PanelContent } from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import { boot, saveWorkingSet } from './snapshot-commands';
import { snapshotBootPlugin } from './snapshot-boot-plugin';
import { SnapshotBootQuery } from './snapshot-query';
import { GUEST_VA, PAGE, VM_PAGES, bootMachine } from './test-support/boot-machine';

/** The pages a small function touches, in its order. */
const WORKLOAD = [0, 1, 2, 9, 10, 5, 17, 18, 30, 2, 9];

type Table = Extract<PanelContent, { kind: 'table' }>;

/** The run's events up to `seq` folded as the web page folds them; the panel's tables by title. */
function panelAt(sim: ReturnType<typeof bootMachine>['sim'], seq: number) {
  const projector = new Projector([mmuPlugin({ frames: 2048 }), snapshotBootPlugin()]);
  for (const r of sim.store.read(1, seq)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'snapshot-boot')!;
  const content = panel.show();
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  const tables: Record<string, Table> = {};
  const facts: Record<string, unknown> = {};
  for (const { title, content: c } of content.sections) {
    if (c.kind === 'table') tables[title] = c;
    if (c.kind === 'facts') for (const f of c.facts) facts[f.label] = f.value;
  }
  return {
    tables,
    facts,
    query: projector.get(SnapshotBootQuery),
    mmu: projector.get(MmuQuery),
  };
}

/** A page table's runs, one state a page, by guest-physical address. */
function statesByPage(table: Table, vm: number): Map<number, unknown> {
  const states = new Map<number, unknown>();
  for (const row of table.rows) {
    const [space, va] = String(row.address).split(':');
    expect(Number(space)).toBe(vm);
    expect(row.end).toBe(Number(va) + Number(row.pages) * PAGE);
    for (let i = 0; i < Number(row.pages); i++) states.set(Number(va) + i * PAGE, row.state);
  }
  return states;
}

/** What the MMU and the query say of each page of a booted VM. */
function expectedStates(mmu: MmuQuery, query: SnapshotBootQuery, vm: number): Map<number, unknown> {
  const touched = new Set(query.firstTouches(vm));
  const states = new Map<number, unknown>();
  for (const run of mmu.mappings(vm))
    for (let i = 0; i < run.pages; i++) {
      const gpa = run.va + i * PAGE;
      states.set(
        gpa,
        run.frame === -1
          ? 'not loaded yet'
          : touched.has(gpa)
            ? 'loaded, touched'
            : 'loaded, not touched',
      );
    }
  return states;
}

describe('the snapshot-boot panel of the web page', () => {
  it('shows the images, the booted VMs and which of their pages are loaded, as the query and the MMU say', () => {
    const { sim, memory } = bootMachine();
    const lazy = sim.dispatch(boot, {
      image: 'base',
      partition: 'clones',
      identity: 'keep',
    }).value!;
    const booted = sim.seq;
    for (const page of WORKLOAD) memory.read(lazy.guests[0]!, GUEST_VA + page * PAGE + 8, 8);
    sim.dispatch(saveWorkingSet, { vm: lazy.vm });
    const reap = sim.dispatch(boot, {
      image: 'base',
      partition: 'clones',
      policy: 'working-set',
      identity: 'keep',
    }).value!;
    // This invocation touches only part of the working set, and one page beyond it.
    for (const page of [0, 1, 2, 3]) memory.read(reap.guests[0]!, GUEST_VA + page * PAGE, 8);

    const { tables, facts, query, mmu } = panelAt(sim, sim.seq);
    expect(tables['Images']!.rows).toEqual(
      query.images().map((i) => ({ ...i, workingSet: i.workingSet ?? null })),
    );
    expect(tables['Images']!.rows[0]).toMatchObject({ name: 'base', workingSet: 9 });

    const vms = tables['Booted VMs']!.rows;
    expect(vms.map((r) => r.vm)).toEqual([lazy.vm, reap.vm]);
    for (const row of vms) {
      const report = query.report(Number(row.vm))!;
      const loaded = mmu
        .mappings(Number(row.vm))
        .filter((r) => r.frame !== -1)
        .reduce((n, r) => n + r.pages, 0);
      expect(row).toMatchObject({
        image: report.image,
        policy: report.policy,
        pages: report.pages,
        loaded,
        notLoaded: report.pages - loaded,
        prefetched: report.prefetched,
        faults: report.faults,
        touched: report.touched,
      });
    }

    for (const vm of [lazy.vm, reap.vm]) {
      const table = tables[`VM ${vm} pages (image base)`]!;
      const states = statesByPage(table, vm);
      expect(states).toEqual(expectedStates(mmu, query, vm));
      expect(states.size).toBe(VM_PAGES);
      // Runs: no two neighbours stand alike.
      table.rows.slice(1).forEach((row, i) => expect(row.state).not.toBe(table.rows[i]!.state));
    }
    // Lazily, exactly the pages touched were loaded; the working set loaded some never touched.
    const lazyStates = statesByPage(tables[`VM ${lazy.vm} pages (image base)`]!, lazy.vm);
    const touched = new Set(WORKLOAD.map((p) => p * PAGE));
    for (const [gpa, state] of lazyStates)
      expect(state).toBe(touched.has(gpa) ? 'loaded, touched' : 'not loaded yet');
    const reapStates = statesByPage(tables[`VM ${reap.vm} pages (image base)`]!, reap.vm);
    for (const page of [5, 9, 10, 17, 18, 30])
      expect(reapStates.get(page * PAGE)).toBe('loaded, not touched');
    expect(reapStates.get(3 * PAGE)).toBe('loaded, touched'); // a fault
    expect(facts['identity hazards']).toBe(query.stats().identityHazards);

    // Right after the first boot, nothing of it was loaded yet.
    const before = panelAt(sim, booted);
    expect(before.tables['Booted VMs']!.rows.map((r) => [r.vm, r.loaded])).toEqual([[lazy.vm, 0]]);
    expect(before.tables[`VM ${lazy.vm} pages (image base)`]!.rows).toEqual([
      { address: `${lazy.vm}:0x0`, end: VM_PAGES * PAGE, pages: VM_PAGES, state: 'not loaded yet' },
    ]);
  });
});
