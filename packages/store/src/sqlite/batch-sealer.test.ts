import { StoreError } from '@chronovisor/core';
import { sealBatch } from './batch-seal';
import { BatchSealer } from './batch-sealer';

/** A batch of `count` made-up records of varied lengths, as encoded bytes and their ends. */
function batch(count: number, salt: number): { encoded: Uint8Array; ends: Uint32Array } {
  const ends = new Uint32Array(count);
  let length = 0;
  for (let i = 0; i < count; i++) ends[i] = length += 1 + ((i * 7 + salt) % 40);
  const encoded = new Uint8Array(length).map((_, i) => (i * 31 + salt) & 0xff);
  return { encoded, ends };
}

const copy = ({ encoded, ends }: { encoded: Uint8Array; ends: Uint32Array }) => ({
  encoded: encoded.slice(),
  ends: ends.slice(),
});

describe('BatchSealer', () => {
  it('seals on its own thread, in submission order, exactly as sealing here does', () => {
    const sealer = new BatchSealer();
    const other = new BatchSealer(); // a second recording, interleaved on the same thread
    try {
      expect(sealer.threaded).toBe(true);
      const batches = [batch(1024, 1), batch(3, 2), batch(1, 3), batch(700, 4)];
      for (const [i, b] of batches.entries()) {
        sealer.submit(copy(b).encoded, copy(b).ends);
        other.submit(
          copy(batches[batches.length - 1 - i]!).encoded,
          copy(batches[batches.length - 1 - i]!).ends,
        );
      }
      expect(sealer.inFlight).toBe(4);
      for (const [i, b] of batches.entries()) {
        const want = sealBatch(b.encoded, b.ends);
        const got = sealer.take();
        expect(Buffer.from(got.root)).toEqual(Buffer.from(want.root));
        expect(Buffer.from(got.leaves)).toEqual(Buffer.from(want.leaves));
        expect(Buffer.from(got.bytes)).toEqual(Buffer.from(want.bytes));
        const mirrored = batches[batches.length - 1 - i]!;
        expect(Buffer.from(other.take().root)).toEqual(
          Buffer.from(sealBatch(mirrored.encoded, mirrored.ends).root),
        );
      }
      expect(sealer.inFlight).toBe(0);
    } finally {
      sealer.close();
      other.close();
    }
  });

  it('refuses to take a batch nobody submitted', () => {
    const sealer = new BatchSealer();
    try {
      expect(() => sealer.take()).toThrow(StoreError);
    } finally {
      sealer.close();
    }
  });
});
