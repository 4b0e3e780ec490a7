import {
  PANEL_ROWS,
  panelTable,
  type Panel,
  type PanelContent,
  type PanelNode,
} from '@chronovisor/core';
import { inject } from 'inversify';
import { ProcQuery, type ProcessView } from './proc-query';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The web page's `processes` panel (the checkpoint plugin's), at the page's position:
 *
 * - **domain d**, for each pid namespace: its processes as a tree by parent (a process whose
 *   parent is not in the domain is a root), children by pid. Each node is `pid n` with its ppid,
 *   process group and session (and whether it leads them), its state (a zombie with its exit
 *   code), its address space and its open descriptors. At most {@link PANEL_ROWS} processes a
 *   domain, a last node saying how many more;
 * - **Checkpoint images**: each image taken or imported: the domain and root it was taken from,
 *   its processes, the frames it stores (shared pages once) and the resources;
 * - **Counts**: checkpoints, restores, helpers, migrations by remap and by copy.
 *
 * The plugin keeps no seq of the record that made a process or stored an image, so nothing here
 * links to the log.
 */
export class CheckpointPanel implements Panel {
  readonly name = 'processes';
  readonly title = 'Process trees and checkpoints';

  constructor(@inject(ProcQuery) private readonly query: ProcQuery) {}

  show(): PanelContent {
    const stats = this.query.stats();
    const c = stats.counts;
    return {
      kind: 'sections',
      sections: [
        ...stats.domains.map(({ name }) => ({
          title: `domain ${name}`,
          content: { kind: 'tree' as const, nodes: this.tree(name) },
        })),
        {
          title: 'Checkpoint images',
          content: panelTable(
            [
              { key: 'name', label: 'image' },
              { key: 'domain', label: 'taken in' },
              { key: 'root', label: 'root pid', format: 'number' },
              { key: 'processes', label: 'processes', format: 'number' },
              { key: 'frames', label: 'frames stored', format: 'number' },
              { key: 'resources', label: 'resources', format: 'number' },
            ],
            stats.images,
            (i) => {
              const image = this.query.image(i.name);
              return {
                name: i.name,
                domain: image?.domain ?? null,
                root: image?.root ?? null,
                processes: i.processes,
                frames: i.frames,
                resources: i.resources,
              };
            },
            { empty: 'no checkpoints taken' },
          ),
        },
        {
          title: 'Counts',
          content: {
            kind: 'facts',
            facts: [
              { label: 'checkpoints', value: c.checkpoints },
              { label: 'restores', value: c.restores },
              { label: 'helpers', value: c.helpers },
              { label: 'migrations by remap', value: c.remaps },
              { label: 'frames remapped', value: c.framesRemapped },
              { label: 'migrations by copy', value: c.copies },
              { label: 'bytes copied', value: c.bytesCopied },
            ],
          },
        },
      ],
    };
  }

  /** A domain's processes by parent, depth first, at most {@link PANEL_ROWS} of them. */
  private tree(domain: string): PanelNode[] {
    const processes = this.query.processes(domain);
    if (processes.length === 0) return [{ label: 'no processes' }];
    const pids = new Set(processes.map((p) => p.pid));
    const children = new Map<number, ProcessView[]>();
    const roots: ProcessView[] = [];
    for (const p of processes) {
      if (!pids.has(p.ppid) || p.ppid === p.pid) roots.push(p);
      else {
        const list = children.get(p.ppid);
        if (list) list.push(p);
        else children.set(p.ppid, [p]);
      }
    }
    let budget = PANEL_ROWS;
    const node = (p: ProcessView): PanelNode => {
      budget--;
      const kids: PanelNode[] = [];
      for (const child of children.get(p.pid) ?? []) {
        if (budget === 0) break;
        kids.push(node(child));
      }
      return {
        label: `pid ${p.pid}`,
        detail: this.describe(domain, p),
        ...(kids.length === 0 ? {} : { children: kids }),
      };
    };
    const nodes: PanelNode[] = [];
    for (const root of roots) {
      if (budget === 0) break;
      nodes.push(node(root));
    }
    const shown = PANEL_ROWS - budget;
    if (processes.length > shown)
      nodes.push({
        label: `… ${plural(processes.length - shown, 'more process', 'more processes')}`,
      });
    return nodes;
  }

  private describe(domain: string, p: ProcessView): string {
    const leads = [p.pid === p.sid ? 'session leader' : '', p.pid === p.pgid ? 'group leader' : '']
      .filter(Boolean)
      .join(', ');
    const exitCode = this.query.process(domain, p.pid)?.exitCode;
    const state =
      p.state === 'zombie'
        ? `zombie${exitCode === undefined ? '' : ` (exit ${exitCode})`}`
        : p.state;
    const fds = Object.keys(p.fds).length;
    return (
      `ppid ${p.ppid}, pgid ${p.pgid}, sid ${p.sid}${leads ? ` (${leads})` : ''}; ${state}; ` +
      `space ${p.space}; ${plural(fds, 'open descriptor')}`
    );
  }
}
