import type { LogRecord } from '@chronovisor/core';
import * as fc from 'fast-check';
import { batchBytes } from './batch-builder';
import { BATCH_BYTES, batchLeaf, framesOf, seqOf } from './batch-format';
import { batchHeaderOf } from './batch-header';
import { ByteReader } from './byte-reader';
import { decodeRecord } from './record-codec';

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
  it('writes a header of names and shapes, frames records by their length, and hashes it all (golden)', () => {
    const batch = batchBytes([command, event]);
    expect(Buffer.from(batch).toString('hex')).toBe(
      // The batch's tick (3), then its 8 names, in order of first use: "user", "mmu.read",
      // "length", "space", "va", "mmu.memory.read", "hit", "pa"
      '03' +
        '08' +
        '0475736572' +
        '086d6d752e72656164' +
        '066c656e677468' +
        '057370616365' +
        '027661' +
        '0f6d6d752e6d656d6f72792e72656164' +
        '03686974' +
        '027061' +
        // 2 shapes: type 1 with keys 2, 3, 4 (uints); type 5 with key 6 (a boolean), 7 (a uint)
        '02' +
        '0103020103010401' +
        '050206020701' +
        // 10 bytes: shaped command, seq 7 − 7, tick 3 − 3, actor 0, no cause, shape 0, then
        // length 8, space 1, va 4096 (80 20)
        '0a' +
        '040000000000' +
        '08' +
        '01' +
        '8020' +
        // 9 bytes: shaped event, seq 8 − 7, tick 0, actor 0, cause 1 + zigzag(8 − 7), shape 1,
        // v 1, then hit false, pa 0
        '09' +
        '060100000301' +
        '01' +
        '00' +
        '00',
    );
    // SHA-256(00 ‖ 7 as 8 bytes ‖ 2 as 4 bytes ‖ the batch), computed apart from this code.
    expect(batchLeaf(7, 2, batch).toString('hex')).toBe(
      '26a81c7df675094d707ff168156cd4584d56ce91b79beddc7910e59f3c19be1d',
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
          const batch = batchBytes(records);
          const frames = framesOf(batch);
          const header = batchHeaderOf(batch, 1);
          const each = Array.from({ length: frames.count }, (_, k) => k);
          const reader = new ByteReader(batch);
          expect(each.map((k) => seqOf(reader, frames, k, 1))).toEqual(records.map((r) => r.seq));
          const back = each.map((k) =>
            decodeRecord(reader.moveTo(frames.starts[k]!, frames.ends[k]!), header),
          );
          expect(reader.done).toBe(true);
          // Compared as hex: jest compares large byte arrays slowly.
          const hex = (r: LogRecord) =>
            Buffer.from((r as { data: { pad: Uint8Array } }).data.pad).toString('hex');
          expect(back.map(hex)).toEqual(records.map(hex));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a frame that runs past the batch, naming where', () => {
    const whole = batchBytes([command]);
    const cut = whole.subarray(0, whole.length - 4);
    expect(() => framesOf(cut)).toThrow(
      `more bytes needed, the data ends at byte ${cut.length - 6}`,
    );
    // Cut inside the names: the second name's 8 bytes start at byte 8.
    expect(() => framesOf(whole.subarray(0, 12))).toThrow(
      '8 more bytes needed, the data ends at byte 8',
    );
    expect(BATCH_BYTES).toBe(1 << 20);
  });
});
