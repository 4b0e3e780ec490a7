import {
  panelAddress,
  panelTable,
  type Panel,
  type PanelContent,
  type PanelValue,
} from '@chronovisor/core';
import { inject } from 'inversify';
import { VmmQuery } from './vmm-query';

const listed = (record: Readonly<Record<string, string>>): string =>
  Object.entries(record)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');

/**
 * The web page's `vmm` panel, at the page's position:
 *
 * - **VMM**: the version running, its partition and space, its hypercalls and the guest
 *   extensions' versions it takes;
 * - **VMM code**: the running version's code and, during an update, the new code staged past it:
 *   each a link to the hex view of the VMM's memory, and its pages;
 * - **Updates applied**: the updates committed to the running VMM, in order;
 * - **Update in flight** (between an update's first step and its commit or revert): its id, the
 *   guest whose updater sent it, the step it reached, and the extensions it switched, each
 *   from → to;
 * - **Guests**: each VM on the VMM, its extensions' versions, and whether it is busy (it will not
 *   quiesce);
 * - **Updates**: how many were committed, reverted and refused, and the last commit's blackout.
 *
 * The plugin keeps the running version only (not the versions it replaced), refused and reverted
 * updates as counts only, and no seq of the records of an install, a step, a commit, a revert or a
 * refusal, so nothing here links to the log.
 */
export class VmmUpdatePanel implements Panel {
  readonly name = 'vmm';
  readonly title = 'VMM versions and updates';

  constructor(@inject(VmmQuery) private readonly query: VmmQuery) {}

  show(): PanelContent {
    const { vmm, guests, update, counts } = this.query.stats();
    const code: Record<string, PanelValue>[] = [];
    if (vmm) {
      code.push({
        code: `running ${vmm.version}`,
        address: panelAddress(vmm.space, vmm.va),
        pages: vmm.pages,
      });
      if (update?.staged) {
        const { va, pages } = update.staged;
        code.push({ code: `staged by ${update.id}`, address: panelAddress(vmm.space, va), pages });
      }
    }
    const sections: { title: string; content: PanelContent }[] = [
      {
        title: 'VMM',
        content: {
          kind: 'facts',
          facts: vmm
            ? [
                { label: 'version', value: vmm.version },
                { label: 'partition', value: vmm.partition },
                { label: 'space', value: vmm.space },
                { label: 'hypercalls', value: vmm.hypercalls.join(', ') },
                { label: 'takes extensions', value: listed(vmm.compatible) },
              ]
            : [{ label: 'version', value: 'not installed' }],
        },
      },
      {
        title: 'VMM code',
        content: panelTable(
          [
            { key: 'code', label: 'code' },
            { key: 'address', label: 'address', format: 'address' },
            { key: 'pages', label: 'pages', format: 'number' },
          ],
          code,
          (row) => row,
          { empty: 'no VMM installed' },
        ),
      },
      {
        title: 'Updates applied',
        content: panelTable(
          [
            { key: 'n', label: '#', format: 'number' },
            { key: 'id', label: 'update' },
          ],
          (vmm?.applied ?? []).map((id, i) => ({ n: i + 1, id })),
          (row) => row,
          { empty: 'no update committed' },
        ),
      },
    ];
    if (update) {
      sections.push({
        title: 'Update in flight',
        content: {
          kind: 'facts',
          facts: [
            { label: 'update', value: update.id },
            { label: 'from guest', value: update.from },
            { label: 'step', value: update.step },
          ],
        },
      });
      sections.push({
        title: 'Extensions switched by the update in flight',
        content: panelTable(
          [
            { key: 'vm', label: 'VM', format: 'number' },
            { key: 'name', label: 'extension' },
            { key: 'from', label: 'from' },
            { key: 'to', label: 'to' },
          ],
          update.changes ?? [],
          (c) => ({ vm: c.vm, name: c.name, from: c.from ?? null, to: c.to }),
          { empty: 'no extension switched yet' },
        ),
      });
    }
    sections.push(
      {
        title: 'Guests',
        content: panelTable(
          [
            { key: 'vm', label: 'VM', format: 'number' },
            { key: 'extensions', label: 'extensions' },
            { key: 'busy', label: 'busy' },
          ],
          guests,
          (g) => ({ vm: g.vm, extensions: listed(g.extensions), busy: g.busy }),
          { empty: 'no guests attached' },
        ),
      },
      {
        title: 'Updates',
        content: {
          kind: 'facts',
          facts: [
            { label: 'committed', value: counts.committed },
            { label: 'reverted', value: counts.reverted },
            { label: 'refused', value: counts.refused },
            { label: 'last blackout (µs)', value: counts.lastBlackoutMicros },
          ],
        },
      },
    );
    return { kind: 'sections', sections };
  }
}
