import fc from 'fast-check';
import { MemoryJournal, replayPatch, type PatchTarget } from './memory-journal';

type Op =
  { write: number; at: number; bytes: number[] } | { copy: number; to: number } | { drop: number };

/** A target that writes down what a replay sends it. */
function recorder(): { target: PatchTarget; ops: Op[] } {
  const ops: Op[] = [];
  return {
    ops,
    target: {
      write: (frame, at, data, start, length) =>
        ops.push({ write: frame, at, bytes: [...data.subarray(start, start + length)] }),
      copy: (from, to) => ops.push({ copy: from, to }),
      drop: (frame) => ops.push({ drop: frame }),
    },
  };
}

describe('MemoryJournal', () => {
  it('replays what it recorded, in order, whatever the page size, frame and length', () => {
    const pageBits = fc.integer({ min: 9, max: 21 });
    const run = pageBits.chain((bits) => {
      // Frames around the compact limit (2^(27 − bits)) and far above it.
      const frame = fc.oneof(
        fc.nat({ max: 2 ** (27 - bits) + 2 }),
        fc.integer({ min: 2 ** (27 - bits) - 2, max: 2 ** 32 - 1 }),
      );
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({
          write: frame,
          at: fc.nat({ max: 2 ** bits - 1 }),
          bytes: fc.oneof(
            fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 9 }),
            fc.array(fc.nat({ max: 255 }), { minLength: 250, maxLength: 600 }),
          ),
        }),
        fc.record({ copy: frame, to: frame }),
        fc.record({ drop: frame }),
      );
      return fc.tuple(
        fc.constant(bits),
        fc.array(fc.array(op, { maxLength: 30 }), { maxLength: 4 }),
      );
    });
    fc.assert(
      fc.property(run, ([bits, batches]) => {
        const journal = new MemoryJournal(bits);
        for (const ops of batches) {
          for (const op of ops)
            if ('write' in op) journal.write(op.write, op.at, Uint8Array.from(op.bytes));
            else if ('copy' in op) journal.copy(op.copy, op.to);
            else journal.drop(op.drop);
          const fits = expectedBytes(ops, bits);
          expect(journal.bytes).toBe(fits);
          const patch = journal.take();
          expect(journal.bytes).toBe(0);
          const { target, ops: replayed } = recorder();
          replayPatch(patch, bits, target);
          expect(replayed).toEqual(ops);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a small write to a low frame in one word beside its bytes', () => {
    const journal = new MemoryJournal(12);
    journal.write(4095, 4088, new Uint8Array(8));
    expect(journal.bytes).toBe(4 + 8);
    journal.write(2 ** 15, 0, new Uint8Array(8)); // past the compact frames: tag and frame
    expect(journal.bytes).toBe(12 + 8 + 8);
  });
});

/** What a batch should take: 4 bytes a compact write, 8 or 12 for others, plus the data. */
function expectedBytes(ops: readonly Op[], bits: number): number {
  let bytes = 0;
  for (const op of ops)
    if ('write' in op) {
      const compact = op.bytes.length <= 8 && op.write < 2 ** (27 - bits);
      bytes += (compact ? 4 : op.bytes.length < 256 ? 8 : 12) + op.bytes.length;
    } else bytes += 'copy' in op ? 12 : 8;
  return bytes;
}
