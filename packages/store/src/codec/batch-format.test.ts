import type { LogRecord } from '@chronovisor/core';
import * as fc from 'fast-check';
import { batchBytes } from './batch-builder';
import { BATCH_BYTES, batchLeaf, framesOf, seqOf } from './batch-format';
import { namesOf } from './batch-names';
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
  it('names actors, types and keys once, frames records by their length, and hashes it all (golden)', () => {
    const batch = batchBytes([command, event]);
    expect(Buffer.from(batch).toString('hex')).toBe(
      // 8 names, in order of first use: "user", "mmu.read", "length", "space", "va",
      // "mmu.memory.read", "hit", "pa"
      '08' +
        '0475736572' +
        '086d6d752e72656164' +
        '066c656e677468' +
        '057370616365' +
        '027661' +
        '0f6d6d752e6d656d6f72792e72656164' +
        '03686974' +
        '027061' +
        // 18 bytes: command, seq 7, tick 3, actor 0, cause 0, type 1, {2: 8, 3: 1, 4: 4096}
        '12' +
        '010703000001' +
        '0903' +
        '020308' +
        '030301' +
        '04038020' +
        // 14 bytes: event, seq 8, tick 3, actor 0, cause 7, type 5, v 1, {6: false, 7: 0}
        '0e' +
        '030803000705' +
        '01' +
        '0902' +
        '0601' +
        '070300',
    );
    expect(batchLeaf(7, 2, batch).toString('hex')).toBe(
      '34265e608bf22b5ef0cf6a58abb761b59b474d348e8a8f65d1690da1dc603627',
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
          const names = namesOf(batch);
          const each = Array.from({ length: frames.count }, (_, k) => k);
          const reader = new ByteReader(batch);
          expect(each.map((k) => seqOf(reader, frames, k))).toEqual(records.map((r) => r.seq));
          const back = each.map((k) =>
            decodeRecord(reader.moveTo(frames.starts[k]!, frames.ends[k]!), names),
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
      `more bytes needed, the data ends at byte ${cut.length - 14}`,
    );
    // Cut inside the names: the second name's 8 bytes start at byte 7.
    expect(() => framesOf(whole.subarray(0, 12))).toThrow(
      '8 more bytes needed, the data ends at byte 7',
    );
    expect(BATCH_BYTES).toBe(1 << 20);
  });
});
