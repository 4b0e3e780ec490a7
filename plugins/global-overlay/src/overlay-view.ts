import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { OverlayQuery } from './overlay-query';

/** `info overlay`: each program's shared data segment, live versions, and which versions share which globals. */
export class OverlayView implements InfoView {
  readonly name = 'overlay';
  readonly usage =
    "overlay — programs' shared data segments: versions, globals and who shares them";

  constructor(@inject(OverlayQuery) private readonly query: OverlayQuery) {}

  show(args: readonly string[]): unknown {
    if (args.length > 0)
      throw new Error(`info overlay takes no arguments (usage: info ${this.usage})`);
    return this.query.programs();
  }
}
