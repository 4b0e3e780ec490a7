import type { SummaryLines } from '@chronovisor/core';
import { inject } from 'inversify';
import { ProcQuery } from './proc-query';

const n = (value: number): string => value.toLocaleString('en-US');

/** What a run came to in processes: domains, checkpoints, restores, migrations. */
export class ProcSummaryLines implements SummaryLines {
  readonly name = 'processes';

  constructor(@inject(ProcQuery) private readonly query: ProcQuery) {}

  summary(): Readonly<Record<string, unknown>> {
    return { ...this.query.stats() };
  }

  lines(): readonly string[] {
    const { domains, images, counts: c } = this.query.stats();
    return [
      ...domains.map(
        (d) => `domain ${d.name}: ${n(d.processes)} processes (${n(d.zombies)} zombies)`,
      ),
      ...images.map(
        (i) =>
          `image ${i.name}: ${n(i.processes)} processes, ${n(i.resources)} resources, ${n(i.frames)} frames stored`,
      ),
      `${n(c.checkpoints)} checkpoints, ${n(c.restores)} restores (${n(c.helpers)} helpers); ` +
        `${n(c.remaps)} migrations by remap (${n(c.framesRemapped)} frames, 0 bytes copied), ${n(c.copies)} by copy (${n(c.bytesCopied)} bytes)`,
    ];
  }
}
