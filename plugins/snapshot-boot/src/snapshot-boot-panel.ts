import {
  PANEL_ROWS,
  panelAddress,
  panelTable,
  type Panel,
  type PanelContent,
} from '@chronovisor/core';
import { MmuQuery } from '@chronovisor/mmu';
import { inject } from 'inversify';
import { SnapshotBootQuery, type BootReport } from './snapshot-query';

/** How a booted VM's page stands: not loaded yet, loaded and touched, or loaded and never touched. */
type BootPageState = 'not loaded yet' | 'loaded, touched' | 'loaded, not touched';

/** A run of a booted VM's guest-physical pages that stand alike. */
interface PageRun {
  gpa: number;
  pages: number;
  state: BootPageState;
}

/**
 * The web page's `snapshot-boot` panel, at the page's position:
 *
 * - **Images**: each snapshot image: where it came from, its guest-physical pages and those it
 *   stores (the rest are zero), its guest processes, and its saved working set;
 * - **Booted VMs**: each VM booted from an image: its policy, its pages, how many are loaded
 *   and not loaded yet, prefetched, loaded on a fault, touched, the prefetch's precision and
 *   recall, and the boot's simulated time;
 * - **VM n pages**, for each booted VM: its guest-physical memory in runs of pages not loaded
 *   yet, loaded and touched, or loaded and never touched (a prefetch that guessed wrong), each
 *   run's first address a link to the hex view of the VM's memory;
 * - **Code caches**: each path's newest version, its pages, the VMs sharing it, rebuilds and
 *   corruptions found; and the identity hazards.
 *
 * Which pages are loaded is the MMU's (a page still mapped lazily in the VM's stage 2 is not
 * loaded), which were touched is the plugin's (`firstTouches`). The plugin keeps no seq of the
 * load of a page, of an image's capture or of a boot, so nothing here links to the log.
 */
export class SnapshotBootPanel implements Panel {
  readonly name = 'snapshot-boot';
  readonly title = 'Snapshot images and booted VMs';

  constructor(
    @inject(SnapshotBootQuery) private readonly query: SnapshotBootQuery,
    @inject(MmuQuery) private readonly mmu: MmuQuery,
  ) {}

  show(): PanelContent {
    const stats = this.query.stats();
    const live = new Set(this.mmu.spaces().map((s) => s.id));
    const vms = stats.vms.filter((v) => live.has(v.vm));
    const runs = new Map(vms.map((v) => [v.vm, this.pageRuns(v.vm)]));
    const loadedPages = (vm: number) =>
      runs
        .get(vm)!
        .filter((r) => r.state !== 'not loaded yet')
        .reduce((n, r) => n + r.pages, 0);
    return {
      kind: 'sections',
      sections: [
        {
          title: 'Images',
          content: panelTable(
            [
              { key: 'name', label: 'image' },
              { key: 'origin', label: 'origin' },
              { key: 'pages', label: 'pages', format: 'number' },
              { key: 'stored', label: 'pages stored', format: 'number' },
              { key: 'guests', label: 'guests', format: 'number' },
              { key: 'workingSet', label: 'working set', format: 'number' },
            ],
            stats.images,
            (i) => ({
              name: i.name,
              origin: i.origin,
              pages: i.pages,
              stored: i.stored,
              guests: i.guests,
              workingSet: i.workingSet ?? null,
            }),
            { empty: 'no images' },
          ),
        },
        {
          title: 'Booted VMs',
          content: panelTable(
            [
              { key: 'vm', label: 'VM', format: 'number' },
              { key: 'image', label: 'image' },
              { key: 'policy', label: 'policy' },
              { key: 'pages', label: 'pages', format: 'number' },
              { key: 'loaded', label: 'loaded', format: 'number' },
              { key: 'notLoaded', label: 'not loaded yet', format: 'number' },
              { key: 'prefetched', label: 'prefetched', format: 'number' },
              { key: 'faults', label: 'loaded on a fault', format: 'number' },
              { key: 'touched', label: 'touched', format: 'number' },
              { key: 'precision', label: 'precision' },
              { key: 'recall', label: 'recall' },
              { key: 'bootMicros', label: 'boot time (µs)', format: 'number' },
            ],
            vms,
            (v) => {
              const loaded = loadedPages(v.vm);
              return {
                vm: v.vm,
                image: v.image,
                policy: v.policy,
                pages: v.pages,
                loaded,
                notLoaded: v.pages - loaded,
                prefetched: v.prefetched,
                faults: v.faults,
                touched: v.touched,
                precision: percent(v.precision),
                recall: percent(v.recall),
                bootMicros: Math.round(v.bootMicros),
              };
            },
            { empty: 'no VM booted from an image' },
          ),
        },
        ...vms.slice(0, PANEL_ROWS).map((v) => this.pagesSection(v, runs.get(v.vm)!)),
        {
          title: 'Code caches',
          content: panelTable(
            [
              { key: 'path', label: 'path' },
              { key: 'version', label: 'version', format: 'number' },
              { key: 'pages', label: 'pages', format: 'number' },
              { key: 'instances', label: 'shared by VMs' },
              { key: 'rebuilds', label: 'rebuilds', format: 'number' },
              { key: 'corruptions', label: 'corruptions', format: 'number' },
            ],
            stats.caches,
            (c) => ({
              path: c.path,
              version: c.version,
              pages: c.pages,
              instances: c.instances.join(', '),
              rebuilds: c.rebuilds,
              corruptions: c.corruptions,
            }),
            { empty: 'no code caches' },
          ),
        },
        {
          title: 'Clones',
          content: {
            kind: 'facts',
            facts: [{ label: 'identity hazards', value: stats.identityHazards }],
          },
        },
      ],
    };
  }

  private pagesSection(v: BootReport, runs: readonly PageRun[]) {
    const pageSize = this.mmu.pageSize;
    const content = panelTable(
      [
        { key: 'address', label: 'guest-physical address', format: 'address' },
        { key: 'end', label: 'end', format: 'hex' },
        { key: 'pages', label: 'pages', format: 'number' },
        { key: 'state', label: 'state' },
      ],
      runs,
      (r) => ({
        address: panelAddress(v.vm, r.gpa),
        end: r.gpa + r.pages * pageSize,
        pages: r.pages,
        state: r.state,
      }),
      { empty: 'no pages mapped' },
    );
    return { title: `VM ${v.vm} pages (image ${v.image})`, content };
  }

  /**
   * A booted VM's pages in runs that stand alike, in address order: the MMU's mappings of the
   * VM (lazy ones not loaded yet) split where the touched pages begin and end.
   */
  private pageRuns(vm: number): PageRun[] {
    const pageSize = this.mmu.pageSize;
    const touched = this.query.firstTouches(vm).sort((a, b) => a - b);
    const out: PageRun[] = [];
    const push = (gpa: number, pages: number, state: BootPageState): void => {
      if (pages === 0) return;
      const last = out.at(-1);
      if (last && last.state === state && last.gpa + last.pages * pageSize === gpa)
        last.pages += pages;
      else out.push({ gpa, pages, state });
    };
    let t = 0; // the first touched page not yet passed
    for (const run of this.mmu.mappings(vm)) {
      if (run.frame === -1) {
        push(run.va, run.pages, 'not loaded yet');
        continue;
      }
      const end = run.va + run.pages * pageSize;
      while (t < touched.length && touched[t]! < run.va) t++;
      let at = run.va;
      while (at < end) {
        const next = t < touched.length && touched[t]! < end ? touched[t]! : end;
        if (next > at) {
          push(at, (next - at) / pageSize, 'loaded, not touched');
          at = next;
        }
        if (at === end) break;
        push(at, 1, 'loaded, touched');
        at += pageSize;
        t++;
      }
    }
    return out;
  }
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;
