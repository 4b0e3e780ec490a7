import { canonicalJson } from './canonical-json';
import { digestOf } from './digest';

describe('canonicalJson', () => {
  it('spells equal data one way: sorted keys, no undefined, -0 as 0, bytes as base64', () => {
    expect(
      canonicalJson({
        b: 1,
        a: [true, null, 'x'],
        c: undefined,
        d: -0,
        e: new Uint8Array([1, 2, 255]),
      }),
    ).toBe('{"a":[true,null,"x"],"b":1,"d":0,"e":{"$bytes":"AQL/"}}');
    expect(digestOf({ x: 1, y: 2 })).toBe(digestOf({ y: 2, x: 1 }));
  });

  it('encodes only the viewed bytes of a Uint8Array', () => {
    const buffer = new Uint8Array([9, 1, 2, 9]);
    expect(canonicalJson(buffer.subarray(1, 3))).toBe('{"$bytes":"AQI="}');
  });

  it('refuses what is not plain data, naming where it is', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(
      '$.a[1] is NaN, which is not plain data',
    );
    expect(() => canonicalJson({ m: new Map() })).toThrow('$.m is an instance of Map');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('$.f is a function');
    expect(() => canonicalJson({ n: 1n })).toThrow('$.n is a bigint');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow('$.self is a reference back to an enclosing value');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });
});
