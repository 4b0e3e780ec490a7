import { sha256Hex } from '@chronovisor/core';
import {
  encodePackage,
  privateKeyFromSeed,
  signPackage,
  type UpdateManifest,
} from '@chronovisor/plugin-vmm-update';

/** The publisher's key: fixed, so the example's config can trust its public half. */
export const publisherKey = privateKeyFromSeed(new Uint8Array(32).fill(0x42));

/** The update from 4.17.0 to 4.17.1 (a security fix adding a hypercall, netfront 2.1.0), signed. */
export function securityFix(): Uint8Array {
  const payload = new TextEncoder().encode('VMM 4.17.1 '.repeat(2000));
  const manifest: UpdateManifest = {
    format: 1,
    id: 'xsa-457',
    vmm: { from: '4.17.0', to: '4.17.1' },
    hypercalls: ['vcpu_op', 'memory_op', 'event_channel_op', 'livepatch_op'],
    extensions: { netfront: '2.1.0' },
    compatible: { netfront: '^2.0.0', blkfront: '^1.0.0' },
    requires: [],
    payload: { bytes: payload.length, sha256: sha256Hex(payload) },
  };
  return encodePackage(signPackage(manifest, payload, 'ops', publisherKey));
}
