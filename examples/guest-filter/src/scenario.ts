import type { Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  attachNic,
  createChain,
  parsePcap,
  receive,
  run,
  type ModuleSpec,
} from '@chronovisor/plugin-guest-leverage';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { udpPayload } from './udp';

/** The capture replayed as the NIC's input: twelve UDP packets of every kind (see the fixture's script). */
export const CAPTURE = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'plugins',
  'guest-leverage',
  'fixtures',
  'mixed.pcap',
);

/** The chain the example runs: a content filter in the guest, in front of the host's stack. */
export const FILTER_CHAIN: ModuleSpec[] = [
  { kind: 'filter', pattern: 'attack', action: 'drop', microsPerKiB: 5 },
];

/**
 * US20070294690A1's path on real input: a packet capture's UDP payloads arrive at the host's NIC
 * and are intercepted by a chain of leveraged modules in a guest VM (a content filter) before the
 * host's stack sees them; the guest drops what it must and returns the rest. Every packet's fate
 * is recorded.
 */
export default function guestFilter(sim: Simulation): void {
  replayCapture(sim, FILTER_CHAIN);
}

/** The capture through a chain of `modules` (the example's, or another to compare). */
export function replayCapture(sim: Simulation, modules: ModuleSpec[]): void {
  const ok = <T>(result: { ok: boolean; value?: T; rejection?: { message: string } }): T => {
    if (!result.ok) throw new Error(result.rejection!.message);
    return result.value as T;
  };
  const admin = { actor: 'admin' };
  ok(sim.dispatch(mmu.createPartition, { name: 'host', frames: 256 }, admin));
  ok(sim.dispatch(mmu.createPartition, { name: 'guard', frames: 256 }, admin));
  const vm = ok(sim.dispatch(mmu.createSpace, { kind: 'vm', partition: 'guard' }, admin));
  ok(sim.dispatch(mmu.map, { space: vm, va: 0, pages: 16 }, admin));
  ok(
    sim.dispatch(
      createChain,
      { name: 'ingress', vm, partition: 'host', modules, failure: 'open', slots: 2 },
      admin,
    ),
  );
  ok(sim.dispatch(attachNic, { nic: 'eth0', chain: 'ingress' }, admin));
  const capture = parsePcap(readFileSync(CAPTURE), path.basename(CAPTURE));
  for (const packet of capture.packets) {
    const data = udpPayload(packet);
    if (data) ok(sim.dispatch(receive, { nic: 'eth0', data }, { actor: 'nic:eth0' }));
    // The guest keeps up with one packet in three: the rest wait at the host meanwhile.
    if (packet.index % 3 === 2)
      ok(sim.dispatch(run, { chain: 'ingress' }, { actor: `vm:${vm}/filter` }));
  }
  ok(sim.dispatch(run, { chain: 'ingress' }, { actor: `vm:${vm}/filter` }));
}
