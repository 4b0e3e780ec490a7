import type { Rng, Simulation } from '@chronovisor/core';
import * as mmu from '@chronovisor/mmu';
import {
  Keyring,
  ProcQuery,
  checkpoint,
  createDomain,
  migrate,
  pin,
  restore,
  sealCheckpoint,
  spawn,
  unsealCheckpoint,
} from '@chronovisor/plugin-checkpoint';
import { PROCESS_VA, startService } from './service';

/**
 * Two nodes (partitions with a pid namespace each). The service's tree is checkpointed on node a
 * and restored on node b, in stages (US7275183B2, CRIU): the tree, each shared resource once,
 * resume. The checkpoint is also sealed for an untrusted holder (US20080195740A1): it cannot read
 * it, and an altered copy is refused. Then two batch jobs move from a to b: one by remapping its
 * frames (US7512769B1: no byte copied), one by copying them; a third, with I/O in flight, cannot
 * be remapped until its pages are released.
 */
export default function migrateProcessTree(sim: Simulation, { rng }: { rng: Rng }): void {
  const ops = { actor: 'ops' };
  const ok = <T>(result: { ok: boolean; value?: T; rejection?: { message: string } }): T => {
    if (!result.ok) throw new Error(result.rejection!.message);
    return result.value as T;
  };
  ok(sim.dispatch(mmu.createPartition, { name: 'node-a', frames: 2048 }, ops));
  ok(sim.dispatch(mmu.createPartition, { name: 'node-b', frames: 2048 }, ops));
  ok(sim.dispatch(createDomain, { name: 'a', partition: 'node-a' }, ops));
  ok(sim.dispatch(createDomain, { name: 'b', partition: 'node-b' }, ops));

  const service = startService(sim, 'a', 'service');
  ok(sim.dispatch(checkpoint, { domain: 'a', root: service.supervisor, name: 'web' }, ops));

  // Sealed for the holder: the owner's key, a nonce from the run's seeded RNG.
  const query = sim.get(ProcQuery);
  const keyring = new Keyring([{ id: 'ops-2026', key: new Uint8Array(32).fill(7) }], 'ops-2026');
  const nonce = Uint8Array.from({ length: 12 }, () => rng.nextInt(0, 255));
  const sealed = sealCheckpoint(query.image('web')!, keyring, nonce);
  if (unsealCheckpoint(sealed, keyring, 'web.sealed').name !== 'web')
    throw new Error('unsealed another image');
  const altered = sealed.slice();
  altered[altered.length - 20]! ^= 1;
  let refused = false;
  try {
    unsealCheckpoint(altered, keyring, 'web.sealed');
  } catch {
    refused = true;
  }
  if (!refused) throw new Error('an altered sealed checkpoint was accepted');

  ok(sim.dispatch(restore, { image: 'web', domain: 'b' }, ops));

  const jobs = [0, 1, 2].map(() =>
    ok(sim.dispatch(spawn, { domain: 'a', pages: 64, session: true }, ops)),
  );
  for (const job of jobs) {
    const space = query.process('a', job)!.space;
    ok(
      sim.dispatch(
        mmu.write,
        { space, va: PROCESS_VA, data: new Uint8Array(64 * 4096).fill(job) },
        { actor: `job:${job}` },
      ),
    );
  }
  ok(sim.dispatch(migrate, { domain: 'a', pid: jobs[0]!, to: 'b', mode: 'remap' }, ops));
  ok(sim.dispatch(migrate, { domain: 'a', pid: jobs[1]!, to: 'b', mode: 'copy' }, ops));
  ok(
    sim.dispatch(pin, { domain: 'a', pid: jobs[2]!, va: PROCESS_VA, pages: 8 }, { actor: 'disk' }),
  );
  // Refused while the disk writes into its pages; moved once the I/O completes.
  sim.dispatch(migrate, { domain: 'a', pid: jobs[2]!, to: 'b', mode: 'remap' }, ops);
  ok(
    sim.dispatch(
      pin,
      { domain: 'a', pid: jobs[2]!, va: PROCESS_VA, pages: 8, pinned: false },
      { actor: 'disk' },
    ),
  );
  ok(sim.dispatch(migrate, { domain: 'a', pid: jobs[2]!, to: 'b', mode: 'remap' }, ops));
}
