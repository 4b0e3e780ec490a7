import type { LogRecord } from '@chronovisor/core';
import * as fc from 'fast-check';
import { BATCH_BYTES, appendFramed, batchLeaf, frameBytes, framesOf, seqOf } from './batch-format';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { recordBytes } from './record-codec';

const command: LogRecord = {
  seq: 7,
  tick: 3,
  actor: 'user',
  cause: 0,
  kind: 'command',
  type: 'mmu.read',
  args: { space: 1, va: 4096, length: 8 },
};
const event: LogRecord = {
  seq: 8,
  tick: 3,
  actor: 'user',
  cause: 7,
  kind: 'event',
  type: 'mmu.memory.read',
  v: 1,
  data: { hit: false, pa: 0 },
};

describe('the batch format', () => {
  it('frames records by their length, and hashes the batch with its first seq and count (golden)', () => {
    const out = new ByteWriter();
    appendFramed(out, command);
    appendFramed(out, event);
    const batch = out.take();
    expect(Buffer.from(batch).toString('hex')).toBe(
      // 43 bytes: command, seq 7, tick 3, "user", cause 0, "mmu.read", {length: 8, space: 1, va: 4096}
      '2b010703047573657200086d6d752e726561640903066c656e67746803080573706163650301027661038020' +
        // 38 bytes: event, seq 8, tick 3, "user", cause 7, "mmu.memory.read", v 1, {hit: false, pa: 0}
        '260308030475736572070f6d6d752e6d656d6f72792e7265616401090203686974010270610300',
    );
    expect(batchLeaf(7, 2, batch).toString('hex')).toBe(
      'c9f1441beb5cf4358b12cebba4855d5f0980763f069fd63a76e94b60f746f827',
    );
  });

  it('finds each record again, whatever its length (frames of one to three length bytes)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 16_000, max: 20_000 })),
          { minLength: 1, maxLength: 12 },
        ),
        (sizes) => {
          const records: LogRecord[] = sizes.map((size, i) => ({
            ...event,
            seq: i + 1,
            data: { pad: new Uint8Array(size).fill(i) },
          }));
          const out = new ByteWriter(16);
          for (const record of records) appendFramed(out, record);
          const batch = out.take();
          const frames = framesOf(batch);
          const each = Array.from({ length: frames.count }, (_, k) => k);
          // Compared as hex: jest compares large byte arrays slowly.
          expect(
            each.map((k) => Buffer.from(frameBytes(batch, frames, k)).toString('hex')),
          ).toEqual(records.map((r) => Buffer.from(recordBytes(r)).toString('hex')));
          const reader = new ByteReader(batch);
          expect(each.map((k) => seqOf(reader, frames, k))).toEqual(records.map((r) => r.seq));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a frame that runs past the batch, naming where', () => {
    const out = new ByteWriter();
    appendFramed(out, command);
    const cut = out.take().subarray(0, 20);
    expect(() => framesOf(cut)).toThrow('more bytes needed, the data ends at byte 1');
    expect(BATCH_BYTES).toBe(1 << 20);
  });
});
