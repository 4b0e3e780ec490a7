import { Simulation, type EventRecord, type LogRecord } from '@chronovisor/core';
import { createPartition, createSpace, map, mmuPlugin, write } from '@chronovisor/mmu';
import type { SnapshotBootOptions } from '../boot-options';
import { GuestMemory } from '../guest-memory';
import { capture } from '../snapshot-commands';
import { snapshotBootPlugin } from '../snapshot-boot-plugin';
import { SnapshotBootQuery } from '../snapshot-query';

export const PAGE = 4096;
/** Guest-physical pages of the captured VM, and where its guest process sees them. */
export const VM_PAGES = 32;
export const GUEST_VA = 0x40_0000;
/** Where the guest keeps its identity (a 16-byte seed). */
export const IDENTITY = { gpa: 5 * PAGE + 128, length: 16 };

/** A page's bytes in the captured VM: a pattern of its number, zero for every fourth page. */
export function pageBytes(page: number): Uint8Array {
  const bytes = new Uint8Array(PAGE);
  if (page % 4 === 3) return bytes;
  for (let i = 0; i < PAGE; i += 64) bytes[i] = (page * 7 + i / 64) & 0xff;
  return bytes;
}

/**
 * A machine with the MMU and snapshot boot, a VM of 32 pages (every fourth one zero) with a guest
 * process mapping them all at 0x400000, captured as image `base` with an identity.
 */
export function bootMachine(options: SnapshotBootOptions = {}) {
  const sim = new Simulation({
    plugins: [mmuPlugin({ frames: 2048 }), snapshotBootPlugin(options)],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'origin', frames: 256 });
  sim.dispatch(createPartition, { name: 'clones', frames: 1024 });
  const vm = sim.dispatch(createSpace, { kind: 'vm', partition: 'origin' }).value!;
  sim.dispatch(map, { space: vm, va: 0, pages: VM_PAGES });
  const guest = sim.dispatch(createSpace, { kind: 'guest', vm }).value!;
  sim.dispatch(map, { space: guest, va: GUEST_VA, pages: VM_PAGES, to: 0 });
  for (let page = 0; page < VM_PAGES; page++) {
    const data = pageBytes(page);
    if (data.some((b) => b !== 0)) sim.dispatch(write, { space: vm, va: page * PAGE, data });
  }
  sim.dispatch(write, { space: vm, va: IDENTITY.gpa, data: new Uint8Array(16).fill(0xab) });
  const captured = sim.dispatch(capture, {
    vm,
    name: 'base',
    vcpu: { pc: 0x40_1000, sp: 0x7fff_0000 },
    identity: IDENTITY,
  });
  if (!captured.ok) throw new Error(captured.rejection!.message);
  const query = sim.get(SnapshotBootQuery);
  const memory = new GuestMemory(sim, 'guest');
  /** The events recorded after `seq`. */
  const eventsAfter = (seq: number): EventRecord[] =>
    [...sim.store.read(seq + 1)].filter((r: LogRecord): r is EventRecord => r.kind === 'event');
  return { sim, vm, guest, query, memory, eventsAfter };
}
