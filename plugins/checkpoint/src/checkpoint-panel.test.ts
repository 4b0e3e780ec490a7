import { Panel, Projector, type PanelContent, type PanelNode } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { checkpointPlugin } from './checkpoint-plugin';
import { checkpoint, exit, fork, pipe, restore, setsid, spawn } from './proc-commands';
import { ProcQuery } from './proc-query';
import { procMachine } from './test-support/proc-machine';

/** The run's events up to `seq` folded as the web page folds them: the panel's sections by title. */
function panelAt(sim: ReturnType<typeof procMachine>['sim'], seq: number) {
  const projector = new Projector([mmuPlugin({ frames: 8192 }), checkpointPlugin()]);
  for (const r of sim.store.read(1, seq)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'processes')!;
  const content = panel.show();
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  const sections: Record<string, PanelContent> = Object.fromEntries(
    content.sections.map((s) => [s.title, s.content]),
  );
  return { sections, query: projector.get(ProcQuery) };
}

function nodesOf(content: PanelContent | undefined): readonly PanelNode[] {
  if (content?.kind !== 'tree') throw new Error(`expected a tree, got ${content?.kind}`);
  return content.nodes;
}

/** Every process node of a tree, with the pid of the node above it (0 for a root). */
function edges(
  nodes: readonly PanelNode[],
  parent = 0,
): { pid: number; parent: number; detail: string }[] {
  return nodes.flatMap((n) => {
    const pid = Number(/^pid (\d+)$/.exec(n.label)?.[1]);
    if (!pid) return [];
    return [{ pid, parent, detail: n.detail! }, ...edges(n.children ?? [], pid)];
  });
}

/** What the query says of a domain's processes, as the tree must show them. */
function expectTreeMatchesQuery(nodes: readonly PanelNode[], query: ProcQuery, domain: string) {
  const processes = query.processes(domain);
  const pids = new Set(processes.map((p) => p.pid));
  const shown = edges(nodes);
  expect(shown.map((e) => e.pid).sort((a, b) => a - b)).toEqual(processes.map((p) => p.pid));
  for (const { pid, parent, detail } of shown) {
    const p = processes.find((x) => x.pid === pid)!;
    expect(parent).toBe(pids.has(p.ppid) ? p.ppid : 0);
    expect(detail).toMatch(new RegExp(`^ppid ${p.ppid}, pgid ${p.pgid}, sid ${p.sid}\\b`));
    expect(detail).toContain(`; ${p.state}`);
    expect(detail).toContain(`space ${p.space};`);
  }
}

describe('the checkpoint plugin’s panel of the web page', () => {
  it('shows each domain’s process tree and the checkpoints taken, as the query reports them', () => {
    const { sim, run } = procMachine();
    const root = run(spawn, { domain: 'src', pages: 2, session: true });
    run(pipe, { domain: 'src', pid: root });
    const worker = run(fork, { domain: 'src', pid: root });
    const grandchild = run(fork, { domain: 'src', pid: worker });
    const daemon = run(spawn, { domain: 'src', parent: root, pages: 1 });
    run(setsid, { domain: 'src', pid: daemon });
    const zombie = run(spawn, { domain: 'src', parent: root, pages: 1 });
    run(exit, { domain: 'src', pid: zombie, code: 3 });
    const beforeCheckpoint = sim.seq;
    run(checkpoint, { domain: 'src', root, name: 'web' });
    run(restore, { image: 'web', domain: 'dst' });

    const { sections, query } = panelAt(sim, sim.seq);
    const src = nodesOf(sections['domain src']);
    expectTreeMatchesQuery(src, query, 'src');
    expectTreeMatchesQuery(nodesOf(sections['domain dst']), query, 'dst');
    // The shape, from what was done: the root above the worker, the daemon and the zombie.
    expect(edges(src).map(({ pid, parent }) => [pid, parent])).toEqual([
      [root, 0],
      [worker, root],
      [grandchild, worker],
      [daemon, root],
      [zombie, root],
    ]);
    const detail = (pid: number) => edges(src).find((e) => e.pid === pid)!.detail;
    expect(detail(root)).toContain('(session leader, group leader)');
    expect(detail(daemon)).toContain(`sid ${daemon} (session leader, group leader)`);
    expect(detail(zombie)).toContain('; zombie (exit 3);');
    expect(detail(root)).toContain(
      `${Object.keys(query.processes('src').find((p) => p.pid === root)!.fds).length} open descriptors`,
    );

    const images = sections['Checkpoint images'];
    if (images?.kind !== 'table') throw new Error('expected a table');
    const image = query.image('web')!;
    expect(images.rows).toEqual([
      {
        name: 'web',
        domain: 'src',
        root,
        processes: image.processes.length,
        frames: image.frames.length,
        resources: image.resources.length,
      },
    ]);
    const counts = sections['Counts'];
    if (counts?.kind !== 'facts') throw new Error('expected facts');
    const c = query.stats().counts;
    expect(Object.fromEntries(counts.facts.map((f) => [f.label, f.value]))).toEqual({
      checkpoints: c.checkpoints,
      restores: c.restores,
      helpers: c.helpers,
      'migrations by remap': c.remaps,
      'frames remapped': c.framesRemapped,
      'migrations by copy': c.copies,
      'bytes copied': c.bytesCopied,
    });
    expect(c).toMatchObject({ checkpoints: 1, restores: 1 });

    // Before the checkpoint, the page shows none, and nothing restored.
    const before = panelAt(sim, beforeCheckpoint).sections;
    const none = before['Checkpoint images'];
    expect(none?.kind === 'table' && none.rows).toEqual([]);
    expect(nodesOf(before['domain dst'])).toEqual([{ label: 'no processes' }]);
  });

  it('shows at most 200 processes of a domain, saying how many more', () => {
    const { sim, run } = procMachine();
    const root = run(spawn, { domain: 'src', pages: 1 });
    for (let i = 0; i < 204; i++) run(spawn, { domain: 'src', parent: root, pages: 1 });
    const nodes = nodesOf(panelAt(sim, sim.seq).sections['domain src']);
    expect(edges(nodes)).toHaveLength(200);
    expect(nodes.at(-1)).toEqual({ label: '… 5 more processes' });
  });
});
