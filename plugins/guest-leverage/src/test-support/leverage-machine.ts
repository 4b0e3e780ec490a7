import { Simulation, type CommandType, type InputOf, type ResultOf } from '@chronovisor/core';
import { createPartition, createSpace, map, mmuPlugin } from '@chronovisor/mmu';
import { crc32, deflateRawSync } from 'node:zlib';
import { guestLeveragePlugin } from '../guest-leverage-plugin';
import { attachNic, createChain } from '../leverage-commands';
import { LeverageQuery } from '../leverage-query';
import type { ModuleSpec } from '../modules';

/** Bytes of a text. */
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Data with its CRC-32 appended, as the checksum module expects. */
export function withCrc(data: Uint8Array, valid = true): Uint8Array {
  const out = new Uint8Array(data.length + 4);
  out.set(data);
  new DataView(out.buffer).setUint32(data.length, (crc32(data) ^ (valid ? 0 : 1)) >>> 0, true);
  return out;
}
export const deflated = (s: string): Uint8Array => new Uint8Array(deflateRawSync(text(s)));

/** A host partition with a NIC, a VM in a guest partition, and chain `c` of `modules` on it. */
export function leverageMachine(
  modules: ModuleSpec[] | Record<string, unknown>[],
  chain: Record<string, unknown> = {},
) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 1024 }), guestLeveragePlugin()],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'host', frames: 256 });
  sim.dispatch(createPartition, { name: 'guest', frames: 512 });
  const vm = sim.dispatch(createSpace, { kind: 'vm', partition: 'guest' }).value!;
  sim.dispatch(map, { space: vm, va: 0, pages: 16 });
  const run = <C extends CommandType>(command: C, args: InputOf<C>): ResultOf<C> => {
    const result = sim.dispatch(command, args);
    if (!result.ok) throw new Error(`${command.type} refused: ${result.rejection!.message}`);
    return result.value as ResultOf<C>;
  };
  run(createChain, {
    name: 'c',
    vm,
    partition: 'host',
    modules: modules as ModuleSpec[],
    ...chain,
  });
  run(attachNic, { nic: 'eth0', chain: 'c' });
  return { sim, vm, run, query: sim.get(LeverageQuery) };
}
