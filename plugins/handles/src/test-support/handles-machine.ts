import { Simulation, type EventRecord, type LogRecord } from '@chronovisor/core';
import { createPartition, createSpace, mmuPlugin, type MmuOptions } from '@chronovisor/mmu';
import { HandlesClient } from '../handles-client';
import type { HandlesOptions } from '../handles-options';
import { handlesPlugin } from '../handles-plugin';
import { HandlesQuery } from '../handles-query';

/** A simulation with the MMU and the handle tables, one host space, and a client for its table. */
export function handlesMachine(options: HandlesOptions = {}, frames = 1024, mmu: MmuOptions = {}) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames, ...mmu }), handlesPlugin(options)],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'p0', frames });
  const space = sim.dispatch(createSpace, { kind: 'host', partition: 'p0' }).value!;
  const handles = new HandlesClient(sim, space);
  const query = sim.get(HandlesQuery);
  /** The events recorded after `seq`. */
  const eventsAfter = (seq: number): EventRecord[] =>
    [...sim.store.read(seq + 1)].filter((r: LogRecord): r is EventRecord => r.kind === 'event');
  return { sim, space, handles, query, eventsAfter };
}
