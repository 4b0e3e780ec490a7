import * as path from 'node:path';
import { privateKeyFromSeed } from '../keys';
import type { UpdateManifest } from '../manifest';

/** The checked-in encoding of the golden package: format 1's bytes, fixed for good. */
export const GOLDEN_FILE = path.join(__dirname, '../../../fixtures/golden-v1.cvupdt');

/**
 * The seed of the golden publisher's key: RFC 8032's first Ed25519 test vector (section 7.1,
 * TEST 1), so that its public key is known outside this code (`GOLDEN_PUBLIC_KEY_HEX`).
 */
export const GOLDEN_SEED: Uint8Array = Uint8Array.from(
  Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
);
/** RFC 8032's public key for {@link GOLDEN_SEED}. */
export const GOLDEN_PUBLIC_KEY_HEX =
  'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
export const GOLDEN_KEY_ID = 'golden-publisher';

/** The golden publisher's private key, the same every run. */
export const goldenPrivateKey = () => privateKeyFromSeed(GOLDEN_SEED);

/** 48 bytes, each a simple function of its offset: the new VMM's "code". */
export function goldenPayload(): Uint8Array {
  return Uint8Array.from({ length: 48 }, (_, i) => (i * 7 + 3) & 0xff);
}

/**
 * A small manifest with every part of the format: hypercalls, an extension installed, two
 * compatibility ranges, a dependency. Never change it: the golden file is its signed encoding.
 */
export function goldenManifest(): UpdateManifest {
  return {
    format: 1,
    id: 'golden-1.1.0',
    vmm: { from: '1.0.0', to: '1.1.0' },
    hypercalls: ['map_page', 'unmap_page', 'yield'],
    extensions: { 'vm-tools': '2.1.0' },
    compatible: { 'vm-tools': '^2.0.0', balloon: '>=1.4.0 <2.0.0' },
    requires: [{ id: 'security-fix-7', vmm: '^1.0.0' }],
    payload: {
      bytes: 48,
      sha256: '31cedec8e83dc0fb13e8ba27dfd62dd11aefa1923d78bfbade0eb4f339636144',
    },
  };
}
