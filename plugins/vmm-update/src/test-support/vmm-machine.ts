import { Simulation, sha256Hex } from '@chronovisor/core';
import { MmuQuery, createPartition, createSpace, map, mmuPlugin, write } from '@chronovisor/mmu';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { encodePackage, publicKeyToHex, signPackage, type UpdateManifest } from '../package';
import { attach, install } from '../vmm-commands';
import type { VmmOptions } from '../vmm-options';
import { vmmUpdatePlugin } from '../vmm-update-plugin';
import { VmmQuery } from '../vmm-query';

/** An Ed25519 key from a fixed seed: the same key in every run. */
export function keyFromSeed(seed: number): { privateKey: KeyObject; publicKey: KeyObject } {
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.alloc(32, seed),
  ]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export const publisher = keyFromSeed(7);

/** A package updating the VMM from `from` to `to`, its payload `bytes` long, signed by the publisher. */
export function updatePackage(
  manifest: Partial<UpdateManifest> = {},
  payloadBytes = 10_000,
): Uint8Array {
  const payload = new Uint8Array(payloadBytes).map((_, i) => (i * 31) & 0xff);
  const full: UpdateManifest = {
    format: 1,
    id: 'xsa-1',
    vmm: { from: '4.17.0', to: '4.17.1' },
    hypercalls: ['vcpu_op', 'memory_op', 'event_channel_op', 'livepatch_op'],
    extensions: { netfront: '2.1.0' },
    compatible: { netfront: '^2.0.0', blkfront: '^1.0.0' },
    requires: [],
    payload: { bytes: payload.length, sha256: sha256Hex(payload) },
    ...manifest,
  };
  return encodePackage(signPackage(full, payload, 'ops', publisher.privateKey));
}

/**
 * A machine with the VMM 4.17.0 installed in its own partition and two VMs attached, each with
 * netfront 2.0.0 and blkfront 1.2.0, their memory written.
 */
export function vmmMachine(options: VmmOptions = {}) {
  const sim = new Simulation({
    plugins: [
      mmuPlugin({ frames: 4096 }),
      vmmUpdatePlugin({ trustedKeys: { ops: publicKeyToHex(publisher.publicKey) }, ...options }),
    ],
    seed: 1,
  });
  sim.dispatch(createPartition, { name: 'vmm', frames: 512 });
  sim.dispatch(createPartition, { name: 'guests', frames: 2048 });
  const installed = sim.dispatch(install, {
    partition: 'vmm',
    version: '4.17.0',
    hypercalls: ['vcpu_op', 'memory_op', 'event_channel_op'],
    compatible: { netfront: '^2.0.0', blkfront: '^1.0.0' },
  });
  if (!installed.ok) throw new Error(installed.rejection!.message);
  const vms = [0, 1].map((i) => {
    const vm = sim.dispatch(createSpace, { kind: 'vm', partition: 'guests' }).value!;
    sim.dispatch(map, { space: vm, va: 0, pages: 64 });
    sim.dispatch(write, { space: vm, va: 0x1000, data: Uint8Array.of(i + 1, 2, 3) });
    sim.dispatch(attach, { vm, extensions: { netfront: '2.0.0', blkfront: '1.2.0' } });
    return vm;
  });
  /** Every guest's memory, for asserting an update never touched it. */
  const guestMemory = () => vms.map((vm) => sim.get(MmuQuery).read(vm, 0, 64 * 4096));
  return { sim, vms, query: sim.get(VmmQuery), guestMemory };
}
