import type { Simulation } from '@chronovisor/core';
import { HeapClient } from '@chronovisor/plugin-heap';
import * as mmu from '@chronovisor/mmu';

/** Bytes of a session record: a user id, a privilege word, a name. */
const SESSION_SIZE = 64;
const PRIVILEGE = 8;

/**
 * The classic use after free: a server keeps a pointer to each session in a table; logging out
 * frees the session but forgets the table entry. A new session takes the freed memory, and a
 * late write through the stale entry would grant its privilege to the new user. Each step acts
 * as the part of the program that does it, so the log says who did what.
 */
export default function useAfterFree(sim: Simulation): void {
  sim.dispatch(mmu.createPartition, { name: 'server', frames: 256 });
  const space = sim.dispatch(mmu.createSpace, { kind: 'host', partition: 'server' }).value!;
  const login = new HeapClient(sim, space, 'server:login');
  const logout = new HeapClient(sim, space, 'server:logout');
  const admin = new HeapClient(sim, space, 'server:admin');

  const alice = login.malloc(SESSION_SIZE);
  login.store(alice, Uint8Array.of(1, 0, 0, 0)); // user 1
  const table = [alice];

  logout.free(alice); // ...but table[0] still holds the pointer

  const bob = login.malloc(SESSION_SIZE); // best fit: exactly the memory alice's session had
  login.store(bob, Uint8Array.of(2, 0, 0, 0)); // user 2

  // The late write through the stale entry: stopped, recorded, and traced to logout's free.
  sim.dispatch(
    'heap.store',
    { space, ptr: table[0]! + PRIVILEGE, data: Uint8Array.of(0xff) },
    { actor: 'server:admin' },
  );
  // Bob's session is untouched: his privilege word is still zero.
  if (admin.load(bob + PRIVILEGE, 1)[0] !== 0) throw new Error('the stale write got through');
}
