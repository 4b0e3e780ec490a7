import { Panel, Projector, type PanelContent } from '@chronovisor/core';
import { mmuPlugin } from '@chronovisor/mmu';
import { guestLeveragePlugin } from './guest-leverage-plugin';
import { receive, run } from './leverage-commands';
import { LeverageQuery } from './leverage-query';
import { deflated, leverageMachine, text, withCrc } from './test-support/leverage-machine';

/** The run's events up to `seq` folded as the web page folds them: the panel's tables by title. */
function panelAt(sim: ReturnType<typeof leverageMachine>['sim'], seq: number) {
  const projector = new Projector([mmuPlugin({ frames: 1024 }), guestLeveragePlugin()]);
  for (const r of sim.store.read(1, seq)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'leverage')!;
  const content = panel.show();
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  const tables: Record<string, Extract<PanelContent, { kind: 'table' }>> = {};
  for (const { title, content: c } of content.sections) if (c.kind === 'table') tables[title] = c;
  return { tables, query: projector.get(LeverageQuery) };
}

describe('the guest-leverage panel of the web page', () => {
  it('shows each chain of guest modules and where the host’s items went, as the query counts them', () => {
    const {
      sim,
      vm,
      run: ok,
    } = leverageMachine(
      [
        { kind: 'checksum' },
        { kind: 'decompress' },
        { kind: 'filter', pattern: 'attack' },
        { kind: 'filter', pattern: 'ping', action: 'consume' },
      ],
      { slots: 3, sharing: 'copy', failure: 'closed' },
    );
    const inputs = [
      withCrc(deflated('GET /index.html')), // returned
      withCrc(deflated('an attack')), // dropped
      withCrc(deflated('ping')), // consumed
      withCrc(deflated('hello'), false), // dropped: bad checksum
      withCrc(deflated('GET /a')), // held: the ring has 3 slots
    ];
    for (const data of inputs) ok(receive, { nic: 'eth0', data });
    const received = sim.seq;
    ok(run, { chain: 'c', items: 2 });
    ok(receive, { nic: 'eth0', data: text('not framed') });

    const { tables, query } = panelAt(sim, sim.seq);
    const [chain] = query.chains();
    expect(tables['Chains']!.rows).toEqual([
      {
        name: 'c',
        vm,
        modules: 'checksum → decompress → filter → filter',
        failure: 'closed (drop)',
        sharing: 'copy',
      },
    ]);
    expect(chain!.modules).toEqual(['checksum', 'decompress', 'filter', 'filter']);
    expect(tables['Host I/O through the chains']!.rows).toEqual([
      {
        name: 'c',
        ...chain!.counts,
        inRing: chain!.inRing,
        waiting: chain!.waiting,
        balanced: chain!.balanced,
      },
    ]);
    // What was done: 6 in, the first two settled (one returned, one dropped), the ring full again.
    expect(tables['Host I/O through the chains']!.rows[0]).toMatchObject({
      received: 6,
      returned: 1,
      dropped: 1,
      consumed: 0,
      inRing: 3,
      waiting: 1,
      balanced: true,
    });
    expect(tables['Host I/O through the chains']!.rows[0]!.bytesCopied).toBeGreaterThan(0);

    // Before the guest ran, nothing had come back to the host.
    const before = panelAt(sim, received).tables['Host I/O through the chains']!.rows[0]!;
    expect(before).toMatchObject({ received: 5, returned: 0, dropped: 0, inRing: 3, waiting: 2 });
  });

  it('says when there are no chains', () => {
    const projector = new Projector([mmuPlugin({ frames: 1024 }), guestLeveragePlugin()]);
    const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'leverage')!;
    const content = panel.show();
    expect(content.kind === 'sections' && content.sections.map((s) => s.content)).toEqual([
      expect.objectContaining({ rows: [], empty: 'no chains' }),
      expect.objectContaining({ rows: [], empty: 'no chains' }),
    ]);
  });
});
