import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteStore } from '../sqlite/sqlite-store';
import { runWorkload } from '../test-support/workload';
import { formatHead, recordProofToJson } from './proofs';
import * as mmu from '@chronovisor/mmu';

/*
 * A verifier of record proofs written from the store's README alone ("The format, for an
 * independent verifier"), with node:crypto and nothing of this project: if the README is wrong
 * or incomplete, it fails.
 */

interface ProofJson {
  chronovisor: string;
  version: number;
  seq: number;
  batch: { index: number; first: number; count: number; bytes: string };
  path: string[];
  head: { size: number; batches: number; root: string };
}

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function varint(bytes: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= bytes.length) throw new Error('cut short');
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, at];
    scale *= 128;
  }
}

/** True if the proof shows record `seq` in the run whose head the user trusts (`<size>:<root>`). */
function independentlyVerify(proof: ProofJson, trustedHead: string): boolean {
  const [size, rootHex] = trustedHead.split(':');
  if (proof.chronovisor !== 'record-proof' || proof.version !== 1) return false;
  if (proof.head.size !== Number(size) || proof.head.root !== rootHex) return false;
  const { index, first, count } = proof.batch;
  const bytes = Buffer.from(proof.batch.bytes, 'base64');
  // The header: the tick, the names (count, then each as length and UTF-8), the shapes (count,
  // then each as type, field count, and a key and a kind byte a field); then the frames: exactly
  // `count` records, the k-th holding k after its kind byte.
  let at = 0;
  const records: Buffer[] = [];
  try {
    [, at] = varint(bytes, at); // the batch's tick
    let names;
    [names, at] = varint(bytes, at);
    for (let i = 0; i < names; i++) {
      const [length, start] = varint(bytes, at);
      at = start + length;
    }
    let shapes;
    [shapes, at] = varint(bytes, at);
    for (let i = 0; i < shapes; i++) {
      [, at] = varint(bytes, at); // type
      let fields;
      [fields, at] = varint(bytes, at);
      for (let f = 0; f < fields; f++) {
        [, at] = varint(bytes, at); // the key
        at += 1; // its kind
      }
    }
    if (at > bytes.length) return false;
    while (at < bytes.length) {
      const [length, start] = varint(bytes, at);
      if (start + length > bytes.length) return false;
      const record = bytes.subarray(start, start + length);
      const [place] = varint(record, 1);
      if (place !== records.length) return false;
      records.push(record);
      at = start + length;
    }
  } catch {
    return false;
  }
  if (records.length !== count) return false;
  if (proof.seq < first || proof.seq >= first + count) return false;
  if (index === proof.head.batches - 1 && first + count - 1 !== proof.head.size) return false;
  // The leaf, then RFC 9162 §2.1.3.2 up the path.
  const header = Buffer.alloc(13);
  header.writeBigUInt64BE(BigInt(first), 1);
  header.writeUInt32BE(count, 9);
  let r = sha256(header, bytes);
  let fn = index;
  let sn = proof.head.batches - 1;
  if (fn > sn) return false;
  for (const hex of proof.path) {
    const p = Buffer.from(hex, 'hex');
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else r = sha256(Buffer.from([1]), r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString('hex') === rootHex;
}

describe('a verifier written from the README alone', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'chronovisor-independent-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a real run's proofs, and rejects each forged one", () => {
    const store = SqliteStore.create(path.join(dir, 'run.db'));
    const sim = runWorkload(store, 2600);
    store.flush(); // a short batch in the middle
    for (let i = 0; i < 700; i++) sim.dispatch(mmu.flush, {});
    sim.close();
    const head = formatHead(store.treeHead());
    const earlier = formatHead(store.treeHeads()[0]!);
    const proofs = [1, 1024, 1025, 3000, store.head()].map(
      (seq) => recordProofToJson(store.recordProof(seq)) as ProofJson,
    );
    store.close();

    for (const proof of proofs) {
      expect(independentlyVerify(proof, head)).toBe(true);
      const forged = (change: (p: ProofJson) => void): boolean => {
        const copy = JSON.parse(JSON.stringify(proof)) as ProofJson;
        change(copy);
        return independentlyVerify(copy, head);
      };
      const flipByte = (p: ProofJson, at: number) => {
        const bytes = Buffer.from(p.batch.bytes, 'base64');
        bytes[at]! ^= 0x01;
        p.batch.bytes = bytes.toString('base64');
      };
      expect(forged((p) => flipByte(p, Buffer.from(p.batch.bytes, 'base64').length - 1))).toBe(
        false,
      );
      expect(forged((p) => flipByte(p, 10))).toBe(false);
      expect(
        forged(
          (p) =>
            (p.path = p.path.length
              ? [p.path[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0')), ...p.path.slice(1)]
              : ['00'.repeat(32)]),
        ),
      ).toBe(false);
      expect(forged((p) => (p.batch.index ^= 1))).toBe(false);
      expect(forged((p) => (p.head.batches += 1))).toBe(false);
      expect(forged((p) => (p.batch.first += 1))).toBe(false);
      expect(forged((p) => (p.batch.count -= 1))).toBe(false);
      expect(forged((p) => (p.seq = p.batch.first + p.batch.count))).toBe(false);
      // A genuine proof, but against a head the user does not hold.
      expect(independentlyVerify(proof, earlier)).toBe(false);
    }
  });
});
