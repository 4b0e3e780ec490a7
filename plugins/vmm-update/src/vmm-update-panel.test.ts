import { Panel, Projector, type EventRecord, type PanelContent } from '@chronovisor/core';
import { MmuQuery, mmuPlugin } from '@chronovisor/mmu';
import { publicKeyToHex } from './package';
import { busy, update } from './vmm-commands';
import type { UpdateStepData } from './vmm-events';
import { vmmUpdatePlugin } from './vmm-update-plugin';
import { VmmQuery } from './vmm-query';
import { publisher, updatePackage, vmmMachine } from './test-support/vmm-machine';

/** The run's events up to `seq` folded as the web page folds them: the panel's sections by title. */
function panelAt(sim: ReturnType<typeof vmmMachine>['sim'], seq: number) {
  const projector = new Projector([
    mmuPlugin({ frames: 4096 }),
    vmmUpdatePlugin({ trustedKeys: { ops: publicKeyToHex(publisher.publicKey) } }),
  ]);
  for (const r of sim.store.read(1, seq)) if (r.kind === 'event') projector.apply(r);
  const panel = projector.getAll<Panel>(Panel).find((p) => p.name === 'vmm')!;
  const content = panel.show();
  if (content.kind !== 'sections') throw new Error(`expected sections, got ${content.kind}`);
  const sections: Record<string, PanelContent> = Object.fromEntries(
    content.sections.map((s) => [s.title, s.content]),
  );
  return { sections, query: projector.get(VmmQuery), mmu: projector.get(MmuQuery) };
}

function factsOf(content: PanelContent | undefined): Record<string, unknown> {
  if (content?.kind !== 'facts') throw new Error(`expected facts, got ${content?.kind}`);
  return Object.fromEntries(content.facts.map((f) => [f.label, f.value]));
}

function rowsOf(content: PanelContent | undefined) {
  if (content?.kind !== 'table') throw new Error(`expected a table, got ${content?.kind}`);
  return content.rows;
}

const hex = (n: number) => `0x${n.toString(16)}`;

describe('the VMM-update panel of the web page', () => {
  it('shows the VMM running, the updates applied, its guests and the update in flight at each step', () => {
    const { sim, vms } = vmmMachine();
    const installed = sim.seq;
    sim.dispatch(update, { from: vms[0]!, package: updatePackage() });
    const committed = sim.seq;
    // A second update a busy guest makes time out, and a refused package.
    sim.dispatch(busy, { vm: vms[1]!, busy: true });
    sim.dispatch(update, {
      from: vms[0]!,
      package: updatePackage({ id: 'xsa-2', vmm: { from: '4.17.1', to: '4.17.2' } }),
    });
    sim.dispatch(update, { from: vms[0]!, package: Uint8Array.of(1, 2, 3) });

    const { sections, query, mmu } = panelAt(sim, sim.seq);
    const vmm = query.vmm!;
    expect(factsOf(sections['VMM'])).toEqual({
      version: vmm.version,
      partition: vmm.partition,
      space: vmm.space,
      hypercalls: vmm.hypercalls.join(', '),
      'takes extensions': Object.entries(vmm.compatible)
        .map(([name, range]) => `${name} ${range}`)
        .join(', '),
    });
    // The code's link leads to the VMM's code, mapped there.
    expect(rowsOf(sections['VMM code'])).toEqual([
      { code: 'running 4.17.1', address: `${vmm.space}:${hex(vmm.va)}`, pages: vmm.pages },
    ]);
    expect(mmu.mappings(vmm.space).map((r) => [r.va, r.pages])).toContainEqual([vmm.va, vmm.pages]);
    expect(rowsOf(sections['Updates applied'])).toEqual(
      vmm.applied.map((id, i) => ({ n: i + 1, id })),
    );
    expect(rowsOf(sections['Updates applied'])).toEqual([{ n: 1, id: 'xsa-1' }]);
    expect(rowsOf(sections['Guests'])).toEqual(
      query.guests().map((g) => ({
        vm: g.vm,
        extensions: Object.entries(g.extensions)
          .map(([name, version]) => `${name} ${version}`)
          .join(', '),
        busy: g.busy,
      })),
    );
    expect(rowsOf(sections['Guests']).map((r) => r.busy)).toEqual([false, true]);
    const counts = query.stats().counts;
    expect(factsOf(sections['Updates'])).toEqual({
      committed: counts.committed,
      reverted: counts.reverted,
      refused: counts.refused,
      'last blackout (µs)': counts.lastBlackoutMicros,
    });
    expect(counts).toMatchObject({ committed: 1, reverted: 1, refused: 1 });
    expect(sections['Update in flight']).toBeUndefined();

    // Before the first update: the installed version, nothing applied.
    const before = panelAt(sim, installed).sections;
    expect(factsOf(before['VMM']).version).toBe('4.17.0');
    expect(rowsOf(before['Updates applied'])).toEqual([]);

    // At each step of the first update, the update in flight as the step left it.
    const steps = [...sim.store.read(installed + 1, committed)].filter(
      (r): r is EventRecord<UpdateStepData> => r.type === 'vmm.update.step',
    );
    expect(steps.map((s) => s.data.step)).toEqual([
      'receive',
      'verify',
      'transfer',
      'extensions',
      'quiesce',
      'commit',
    ]);
    for (const step of steps.slice(0, -1)) {
      const { sections: mid, query: midQuery } = panelAt(sim, step.seq);
      const inFlight = midQuery.stats().update!;
      expect(factsOf(mid['Update in flight'])).toEqual({
        update: 'xsa-1',
        'from guest': vms[0],
        step: step.data.step,
      });
      const running = midQuery.vmm!;
      expect(rowsOf(mid['VMM code'])).toEqual([
        {
          code: 'running 4.17.0',
          address: `${running.space}:${hex(running.va)}`,
          pages: running.pages,
        },
        ...(inFlight.staged
          ? [
              {
                code: 'staged by xsa-1',
                address: `${running.space}:${hex(inFlight.staged.va)}`,
                pages: inFlight.staged.pages,
              },
            ]
          : []),
      ]);
      expect(rowsOf(mid['Extensions switched by the update in flight'])).toEqual(
        (inFlight.changes ?? []).map((c) => ({
          vm: c.vm,
          name: c.name,
          from: c.from ?? null,
          to: c.to,
        })),
      );
    }
    const atExtensions = panelAt(sim, steps[3]!.seq).sections;
    expect(rowsOf(atExtensions['VMM code'])).toHaveLength(2); // running and staged
    expect(rowsOf(atExtensions['Extensions switched by the update in flight'])).toEqual(
      steps[3]!.data.changes!.map((c) => ({
        vm: c.vm,
        name: c.name,
        from: c.from ?? null,
        to: c.to,
      })),
    );
    expect(rowsOf(atExtensions['Extensions switched by the update in flight'])).toHaveLength(2);
  });
});
