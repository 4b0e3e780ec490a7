import type { InfoView } from '@chronovisor/core';
import { inject } from 'inversify';
import { HeapQuery } from './heap-query';

/** `info heap`: every heap at a glance and the violations by kind (see `HeapQuery.stats`). */
export class HeapView implements InfoView {
  readonly name = 'heap';
  readonly usage = 'heap — each space’s heap: blocks, bytes, peak, counters; violations by kind';

  constructor(@inject(HeapQuery) private readonly heap: HeapQuery) {}

  show(): unknown {
    return this.heap.stats();
  }
}
