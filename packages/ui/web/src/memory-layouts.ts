import type { MemoryMapView } from '../../src/api';
import { api } from './api-client';

/**
 * The memory map at the position, asked for once however many views need it (the map draws it;
 * the hex view lists its spaces).
 */
export class MemoryLayouts {
  private last: { readonly seq: number; readonly layout: Promise<MemoryMapView> } | undefined;

  at(seq: number, signal: AbortSignal): Promise<MemoryMapView> {
    if (this.last?.seq === seq) return this.last.layout;
    const layout = api.memoryMap(seq, signal);
    const entry = { seq, layout };
    this.last = entry;
    // A failed (or aborted) answer is not kept: the next view to ask asks again.
    layout.catch(() => {
      if (this.last === entry) this.last = undefined;
    });
    return layout;
  }
}
