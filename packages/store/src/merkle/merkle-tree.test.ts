import fc from 'fast-check';
import { Frontier } from './frontier';
import { EMPTY_ROOT, leafHash, nodeHash } from './hashes';
import { MerkleTree } from './merkle-tree';
import { verifyConsistency, verifyInclusion } from './verify';

// The RFC 6962 test data of the Certificate Transparency reference implementations
// (transparency-dev/merkle, testonly/constants.go): eight leaf inputs, the hash of every complete
// subtree, and the root of every tree size.
const hex = (s: string) => Buffer.from(s, 'hex');
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);
const NODES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
].map((level) => level.map(hex));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);

const tree = MerkleTree.of(LEAVES.map(leafHash));
const n = (level: number, index: number) => NODES[level]![index]!;

describe('RFC 6962 Merkle tree', () => {
  it('hashes leaves and nodes as the reference does', () => {
    expect(LEAVES.map(leafHash)).toEqual(NODES[0]);
    expect(nodeHash(n(0, 0), n(0, 1))).toEqual(n(1, 0));
    expect(EMPTY_ROOT).toEqual(ROOTS[0]);
  });

  it('has the reference root for every size from 0 to 8', () => {
    ROOTS.forEach((root, size) =>
      expect(MerkleTree.of(LEAVES.slice(0, size).map(leafHash)).root()).toEqual(root),
    );
  });

  it('gives the audit paths the reference tree implies', () => {
    expect(tree.inclusionProof(0, 8)).toEqual([n(0, 1), n(1, 1), n(2, 1)]);
    expect(tree.inclusionProof(5, 8)).toEqual([n(0, 4), n(1, 3), n(2, 0)]);
    expect(tree.inclusionProof(6, 7)).toEqual([n(1, 2), n(2, 0)]); // the lone last leaf climbs
    expect(tree.inclusionProof(0, 1)).toEqual([]);
  });

  it('gives the consistency proofs the reference tree implies', () => {
    expect(tree.consistencyProof(1, 8)).toEqual([n(0, 1), n(1, 1), n(2, 1)]);
    expect(tree.consistencyProof(4, 8)).toEqual([n(2, 1)]);
    expect(tree.consistencyProof(6, 8)).toEqual([n(1, 2), n(1, 3), n(2, 0)]);
    expect(tree.consistencyProof(8, 8)).toEqual([]);
  });

  it('verifies every inclusion and consistency proof among the reference trees, and rejects forged ones', () => {
    for (let size = 1; size <= 8; size++) {
      for (let index = 0; index < size; index++) {
        const proof = tree.inclusionProof(index, size);
        expect(verifyInclusion(leafHash(LEAVES[index]!), index, size, proof, ROOTS[size]!)).toBe(
          true,
        );
        expect(
          verifyInclusion(leafHash(Buffer.from('forged')), index, size, proof, ROOTS[size]!),
        ).toBe(false);
        if (size > 1)
          expect(
            verifyInclusion(
              leafHash(LEAVES[index]!),
              (index + 1) % size,
              size,
              proof,
              ROOTS[size]!,
            ),
          ).toBe(false);
      }
      for (let first = 1; first <= size; first++) {
        const proof = tree.consistencyProof(first, size);
        expect(verifyConsistency(first, size, ROOTS[first]!, ROOTS[size]!, proof)).toBe(true);
        if (first < size) {
          expect(
            verifyConsistency(first, size, ROOTS[first - 1] ?? ROOTS[0]!, ROOTS[size]!, proof),
          ).toBe(false);
          expect(verifyConsistency(first, size, ROOTS[first]!, ROOTS[size - 1]!, proof)).toBe(
            false,
          );
          expect(verifyConsistency(first, size, ROOTS[first]!, ROOTS[size]!, [])).toBe(false);
        }
      }
    }
  });

  it('proves and verifies over random trees, and every flipped bit of a proof is caught', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (size, a, b, bit) => {
          const leaves = Array.from({ length: size }, (_, i) =>
            leafHash(Buffer.from(`record ${i}`)),
          );
          const t = MerkleTree.of(leaves);
          const root = t.root();
          const index = a % size;
          const inclusion = t.inclusionProof(index);
          expect(inclusion.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
          expect(verifyInclusion(leaves[index]!, index, size, inclusion, root)).toBe(true);
          const first = 1 + (b % size);
          const consistency = t.consistencyProof(first);
          const firstRoot = MerkleTree.of(leaves.slice(0, first)).root();
          expect(verifyConsistency(first, size, firstRoot, root, consistency)).toBe(true);
          for (const proof of [inclusion, consistency]) {
            if (proof.length === 0) continue;
            const forged = proof.map((h) => Buffer.from(h));
            const at = bit % (forged.length * 256);
            forged[Math.floor(at / 256)]![Math.floor(at / 8) % 32]! ^= 1 << (at % 8);
            const ok =
              proof === inclusion
                ? verifyInclusion(leaves[index]!, index, size, forged, root)
                : verifyConsistency(first, size, firstRoot, root, forged);
            expect(ok).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses proofs it cannot give', () => {
    expect(() => tree.inclusionProof(8)).toThrow(
      'No inclusion proof for leaf 8 in a tree of 8 (the log holds 8)',
    );
    expect(() => tree.consistencyProof(0, 8)).toThrow(
      'No consistency proof from 0 to 8 leaves (the log holds 8)',
    );
  });
});

describe('Frontier', () => {
  it('gives the head of every size, leaf by leaf, as the whole tree does', () => {
    const leaves = Array.from({ length: 75 }, (_, i) => leafHash(Buffer.from(`r${i}`)));
    const frontier = new Frontier();
    for (let size = 1; size <= leaves.length; size++) {
      frontier.push(leaves[size - 1]!, 1);
      expect(frontier.root()).toEqual(MerkleTree.of(leaves.slice(0, size)).root());
    }
  });

  it('gives the head of every size from batch roots and a partial tail', () => {
    const batch = 4;
    const leaves = Array.from({ length: 75 }, (_, i) => leafHash(Buffer.from(`r${i}`)));
    const frontier = new Frontier();
    for (let size = 0; size <= leaves.length; size++) {
      const full = Math.floor(size / batch) * batch;
      while (frontier.size < full) {
        const start = frontier.size;
        frontier.push(MerkleTree.of(leaves.slice(start, start + batch)).root(), batch);
      }
      const tail = size > full ? MerkleTree.of(leaves.slice(full, size)).root() : undefined;
      expect(frontier.root(tail)).toEqual(MerkleTree.of(leaves.slice(0, size)).root());
    }
  });
});
