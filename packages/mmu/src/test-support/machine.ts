import { Simulation, type LogRecord } from '@chronovisor/core';
import { MemoryClient } from '../memory-client';
import type { MmuOptions } from '../mmu-config';
import { mmuPlugin } from '../mmu-plugin';
import { MmuQuery } from '../mmu-query';

/** A small machine for tests: a simulation with only the MMU, and handy views of it. */
export function machine(options: MmuOptions = { frames: 64 }) {
  const sim = new Simulation({ plugins: [mmuPlugin(options)], seed: 1 });
  const query = sim.get(MmuQuery);
  const memory = new MemoryClient(sim);
  const ok = <V>(result: { ok: boolean; value?: V; rejection?: { message: string } }): V => {
    if (!result.ok) throw new Error(`refused: ${result.rejection!.message}`);
    return result.value as V;
  };
  /** The events recorded after `seq`, as [type, data] pairs. */
  const eventsSince = (seq: number): [string, unknown][] =>
    [...sim.store.read(seq + 1)]
      .filter((r): r is Extract<LogRecord, { kind: 'event' }> => r.kind === 'event')
      .map((r) => [r.type, r.data]);
  return { sim, query, memory, ok, eventsSince };
}
