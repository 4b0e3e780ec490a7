import type { LogRecord } from '@chronovisor/core';
import fc from 'fast-check';
import { batchBytes } from './batch-builder';
import { framesOf } from './batch-format';
import { BatchTable, batchHeaderOf, readBatchHeader } from './batch-header';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { decodeRecord, encodeRecord } from './record-codec';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** A record's canonical bytes, as the one record of a batch (with the names it uses). */
const recordBytes = (record: LogRecord) => batchBytes([record]);
/** The record a one-record batch (of first seq `first`) holds. */
const decode = (batch: Uint8Array, first = 1) => {
  const frames = framesOf(batch);
  return decodeRecord(
    new ByteReader(batch, frames.starts[0], frames.ends[0]),
    batchHeaderOf(batch, first),
  );
};

describe('the canonical record encoding', () => {
  it('is pinned byte for byte (a golden test: changing it changes every audit hash)', () => {
    const event: LogRecord = {
      seq: 300,
      tick: 2,
      actor: 'vm:1',
      cause: 299,
      kind: 'event',
      type: 'mmu.memory.written',
      v: 1,
      data: {
        va: 4096,
        data: Uint8Array.of(0xde, 0xad),
        hit: true,
        delta: -5,
        ratio: 0.5,
        note: 'é',
      },
    };
    expect(hex(recordBytes(event))).toBe(
      // The batch's tick, then its 9 names: "vm:1", "mmu.memory.written", the keys in sorted
      // order, and "é" (a string field's value is a name).
      '02' +
        '09' +
        '04766d3a31' +
        '126d6d752e6d656d6f72792e7772697474656e' +
        '0464617461' +
        '0564656c7461' +
        '03686974' +
        '046e6f7465' +
        '05726174696f' +
        '027661' +
        '02c3a9' +
        // One shape: type 1, six fields: data (bytes), delta (a value), hit (a boolean), note
        // (a name), ratio (a value), va (a uint).
        '01' +
        '0106' +
        '0204' +
        '0300' +
        '0402' +
        '0503' +
        '0600' +
        '0701' +
        // 25 bytes: shaped event, seq 300 − 300, tick 2 − 2, actor 0, cause 1 + zigzag(1),
        // shape 0, v 1, then the fields' values in the shape's order.
        '19' +
        '06000000030001' +
        '02dead' +
        '0405' +
        '01' +
        '08' +
        '05000000000000e03f' +
        '8020', // va: 4096 = 32 × 128
    );
    const rejected: LogRecord = {
      seq: 1,
      tick: 1,
      actor: 'u',
      cause: 0,
      kind: 'command',
      type: 'a.b',
      args: [null, false], // not an object: written the generic way
      rejection: { error: 'E', message: 'no' },
    };
    expect(hex(recordBytes(rejected))).toBe(
      '01' +
        '02' +
        '0175' +
        '03612e62' +
        '00' +
        '0f' +
        '020000000001' +
        '08020001' +
        '0145' +
        '026e6f',
    );
  });

  it('spells equal data one way: key order and -0 do not matter, undefined fields vanish', () => {
    const a: LogRecord = {
      seq: 1,
      tick: 0,
      actor: 'a',
      cause: 0,
      kind: 'command',
      type: 't.x',
      args: { b: 1, a: -0, c: undefined },
    };
    const b: LogRecord = {
      seq: 1,
      tick: 0,
      actor: 'a',
      cause: 0,
      kind: 'command',
      type: 't.x',
      args: { a: 0, b: 1 },
    };
    expect(hex(recordBytes(a))).toBe(hex(recordBytes(b)));
  });

  it('spells an object the same whatever order its keys came in, however many there are', () => {
    // Keys in order and under 128 take the fast path; the rest are sorted: both must agree.
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.nat({ max: 300 }).map(String));
    const entries = fc.uniqueArray(fc.tuple(key, fc.oneof(fc.nat(), fc.constant(undefined))), {
      selector: ([k]) => k,
      maxLength: 200,
    });
    const command = (args: Record<string, unknown>): LogRecord => ({
      seq: 1,
      tick: 0,
      actor: 'a',
      cause: 0,
      kind: 'command',
      type: 't',
      args,
    });
    fc.assert(
      fc.property(entries, (list) => {
        const sorted = list.filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
        const want = recordBytes(command(Object.fromEntries(sorted)));
        expect(hex(recordBytes(command(Object.fromEntries(list))))).toBe(hex(want));
        expect(hex(recordBytes(command(Object.fromEntries([...list].reverse()))))).toBe(hex(want));
        const args = (decode(want) as { args: Record<string, unknown> }).args;
        expect(Object.entries(args).sort(([a], [b]) => (a < b ? -1 : 1))).toEqual(sorted);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any record of plain data exactly', () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
        fc.string({ unit: 'grapheme' }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    const header = fc.record({
      seq: fc.integer({ min: 1, max: 2 ** 40 }), // made ascending below, as a batch's are
      tick: fc.nat(),
      actor: fc.string({ unit: 'grapheme' }),
      cause: fc.nat(),
      type: fc.string({ unit: 'grapheme' }),
    });
    const record: fc.Arbitrary<LogRecord> = fc.oneof(
      fc
        .record({ h: header, v: fc.integer({ min: 1, max: 9 }), data: plain })
        .map(({ h, v, data }) => ({ ...h, kind: 'event' as const, v, data })),
      fc
        .record({ h: header, args: plain })
        .map(({ h, args }) => ({ ...h, kind: 'command' as const, args })),
      fc
        .record({
          h: header,
          args: plain,
          error: fc.string(),
          message: fc.string({ unit: 'grapheme' }),
        })
        .map(({ h, args, error, message }) => ({
          ...h,
          kind: 'command' as const,
          args,
          rejection: { error, message },
        })),
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), (list) => {
        let seq = 0;
        const records = list.map((r) => ({ ...r, seq: (seq += r.seq) }));
        const table = new BatchTable();
        const out = new ByteWriter(16); // small, so growing is exercised too
        for (const r of records) encodeRecord(out, r, table);
        const bytes = out.take();
        const head = new ByteWriter();
        table.write(head);
        const header = readBatchHeader(new ByteReader(head.take()), records[0]!.seq);
        const input = new ByteReader(bytes);
        const back = records.map(() => decodeRecord(input, header));
        expect(input.done).toBe(true);
        expect(back).toEqual(records);
        // Canonical: encoding what was decoded gives the same bytes.
        expect(hex(batchBytes(back))).toBe(hex(batchBytes(records)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a __proto__ key a key', () => {
    const args = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const back = decode(
      recordBytes({ seq: 1, tick: 0, actor: 'a', cause: 0, kind: 'command', type: 't.x', args }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys((back as { args: object }).args)).toEqual(['__proto__']);
  });

  it('refuses what is not plain data, naming where it is', () => {
    const bad = (args: unknown) => () =>
      recordBytes({ seq: 1, tick: 0, actor: 'a', cause: 0, kind: 'command', type: 't.x', args });
    expect(bad({ x: [1, Number.NaN] })).toThrow('$.args.x[1] is NaN, which is not plain data');
    expect(bad({ m: new Map() })).toThrow('$.args.m is an instance of Map');
    expect(bad({ n: 1n })).toThrow('$.args.n is a bigint');
  });

  it('names the byte where malformed or cut-short data stops making sense', () => {
    const record = (args: unknown): LogRecord => ({
      seq: 7,
      tick: 0,
      actor: 'a',
      cause: 0,
      kind: 'command',
      type: 't.x',
      args,
    });
    const generic = recordBytes(record(['value'])); // an array: no shape
    expect(() => decode(generic.subarray(0, generic.length - 2), 7)).toThrow(
      /more bytes needed, the data ends at byte \d+/,
    );
    const start = framesOf(generic).starts[0]!;
    const edited = (bytes: Uint8Array, at: number, byte: number) => {
      const copy = Uint8Array.from(bytes);
      copy[at] = byte;
      return copy;
    };
    expect(() => decode(edited(generic, start, 9), 7)).toThrow(
      `Not a record: kind byte 9 at byte ${start}`,
    );
    // kind, seq, tick, actor, cause, type: six bytes, then the value's tag.
    expect(() => decode(edited(generic, start + 6, 0x2a), 7)).toThrow(
      `Unknown value tag 42 at byte ${start + 6}`,
    );
    expect(() => decode(edited(generic, start + 3, 7), 7)).toThrow(
      `Name 7 is not one of the batch's 2 at byte ${start + 3}`,
    );
    // Shaped: { k: 'value', on: true }, its shape 0 after the five bytes of the head.
    const shaped = recordBytes(record({ k: 'value', on: true }));
    const at = framesOf(shaped).starts[0]!;
    expect(() => decode(edited(shaped, at + 5, 3), 7)).toThrow(
      `Shape 3 is not one of the batch's 1 at byte ${at + 5}`,
    );
    expect(() => decode(edited(shaped, at + 7, 2), 7)).toThrow(
      `A boolean field holds 2, not 0 or 1 at byte ${at + 7}`,
    );
    // The tick 0, names "a", "t.x", "b"; a command whose args claim an array of 2^28 - 1 items.
    const huge = Uint8Array.of(
      0,
      3,
      1,
      0x61,
      3,
      0x74,
      0x2e,
      0x78,
      1,
      0x62,
      0,
      11,
      1,
      0,
      0,
      0,
      0,
      1,
      8,
      0xff,
      0xff,
      0xff,
      0x7f,
    );
    expect(() => decode(huge)).toThrow(/An array of \d+ items cannot fit the data left/);
    // A shape whose keys are out of order.
    const unsorted = Uint8Array.of(
      0,
      4,
      1,
      0x61,
      3,
      0x74,
      0x2e,
      0x78,
      1,
      0x6b,
      2,
      0x6f,
      0x6e,
      1,
      1,
      2,
      3,
      2,
      2,
      3,
    );
    expect(() => batchHeaderOf(unsorted, 1)).toThrow(
      "Shape 0's keys are not in sorted order at byte 18",
    );
  });

  it('refuses a record placed before its batch’s first', () => {
    const table = new BatchTable();
    const out = new ByteWriter();
    encodeRecord(
      out,
      { seq: 5, tick: 0, actor: 'a', cause: 0, kind: 'command', type: 't', args: {} },
      table,
    );
    expect(() =>
      encodeRecord(
        out,
        { seq: 4, tick: 0, actor: 'a', cause: 0, kind: 'command', type: 't', args: {} },
        table,
      ),
    ).toThrow('Record 4 comes before its batch’s first record (5)');
  });
});

describe('decoding strings', () => {
  it('returns the right string when a reused buffer changes under a cached one', () => {
    const writer = new ByteWriter(16);
    writer.string('actor:1');
    const bytes = writer.take();
    expect(new ByteReader(bytes).string()).toBe('actor:1');
    bytes[bytes.length - 1] = '2'.charCodeAt(0);
    expect(new ByteReader(bytes).string()).toBe('actor:2');
    bytes[bytes.length - 1] = '1'.charCodeAt(0);
    expect(new ByteReader(bytes).string()).toBe('actor:1');
  });

  it('tells apart strings that share a cache slot', () => {
    const words = Array.from({ length: 5000 }, (_, i) => `w${i}·${(i * 7919) % 10007}`);
    const writer = new ByteWriter();
    for (const w of words) writer.string(w);
    const reader = new ByteReader(writer.take());
    expect(words.map(() => reader.string())).toEqual(words);
  });
});

describe('payloads encoded through their type’s learned shape', () => {
  const key = fc.constantFrom('a', 'b', 'ab', 'zz', 'B', 'é', 'k10', 'k2', 'length');
  const leaf = fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.constantFrom(0x7fffffff, 0x80000000, 2 ** 40, -1, -0, 0.5),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 4 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 40 }),
  );
  const value = fc.oneof(leaf, fc.dictionary(key, leaf, { maxKeys: 3 }));
  const valuesFor = (keys: string[]) =>
    fc.tuple(
      fc.constant(keys),
      fc.array(value, { minLength: keys.length, maxLength: keys.length }),
    );
  /** Payloads that mostly share their keys in one order (so the shape is used), now and then not. */
  const payloads = fc
    .uniqueArray(key, { maxLength: 6 })
    .chain((keys) =>
      fc.array(
        fc.oneof(
          { weight: 4, arbitrary: valuesFor(keys) },
          { weight: 1, arbitrary: fc.uniqueArray(key, { maxLength: 6 }).chain(valuesFor) },
        ),
        { minLength: 1, maxLength: 12 },
      ),
    )
    .map((list) =>
      list.map(([keys, values]) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))),
    );
  let fresh = 0;

  it('are byte for byte what the generic encoder writes, whatever the shapes that come', () => {
    fc.assert(
      fc.property(payloads, (list) => {
        for (const args of list) {
          const record = { seq: 1, tick: 1, actor: 'a', cause: 0, kind: 'command' as const, args };
          // A type seen before (its shape learned from the payload before), and one never seen:
          // named second in either batch (after the actor), so only the names differ.
          const shaped = recordBytes({ ...record, type: 'tst.aaaa' });
          const generic = recordBytes({ ...record, type: `u${String(fresh++).padStart(7, '0')}` });
          const names = (batch: Uint8Array) => batchHeaderOf(batch, 1).names.list.slice(2);
          const frames = (batch: Uint8Array) =>
            Buffer.from(batch.subarray(framesOf(batch).headerEnd)).toString('hex');
          expect(names(shaped)).toEqual(names(generic));
          expect(frames(shaped)).toBe(frames(generic));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decode to what the generic decoder reads, whatever the shapes that come', () => {
    fc.assert(
      fc.property(payloads, (list) => {
        for (const args of list) {
          const record = { seq: 1, tick: 1, actor: 'a', cause: 0, kind: 'command' as const, args };
          const shaped = decode(recordBytes({ ...record, type: 'tst.bbbb' }));
          const generic = decode(
            recordBytes({ ...record, type: `v${String(fresh++).padStart(7, '0')}` }),
          );
          expect(shaped).toEqual({ ...generic, type: 'tst.bbbb' });
          expect(Object.keys((shaped as { args: object }).args)).toEqual(
            Object.keys((generic as { args: object }).args),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});
