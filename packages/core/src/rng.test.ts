import { Xoshiro128StarStar } from './rng';

describe('Xoshiro128StarStar', () => {
  it('matches the reference C implementation from state {1, 2, 3, 4}', () => {
    // Printed by the authors' xoshiro128starstar.c, compiled with gcc, with s = {1, 2, 3, 4}.
    const rng = Xoshiro128StarStar.fromState([1, 2, 3, 4]);
    const outputs = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(outputs).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('gives the same stream for the same seed, and a different one for another seed', () => {
    const draw = (seed: number) => {
      const rng = new Xoshiro128StarStar(seed);
      return Array.from({ length: 100 }, () => rng.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(1)).not.toEqual(draw(1 + 2 ** 32));
  });

  it('is pinned for seed 0, so the stream never changes across versions', () => {
    const rng = new Xoshiro128StarStar(0);
    expect(rng.state()).toMatchInlineSnapshot(`
      [
        1684164658,
        3653269916,
        2939563536,
        2141751570,
      ]
    `);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toMatchInlineSnapshot(`
      [
        1789933344,
        44971166,
        2521387044,
      ]
    `);
  });

  it('resumes exactly from a saved state', () => {
    const rng = new Xoshiro128StarStar(7);
    rng.nextUint32();
    const saved = rng.state();
    const expected = [rng.nextUint32(), rng.nextUint32()];
    const resumed = Xoshiro128StarStar.fromState(saved);
    expect([resumed.nextUint32(), resumed.nextUint32()]).toEqual(expected);
  });

  it('draws integers uniformly in range, both ends included', () => {
    const rng = new Xoshiro128StarStar(3);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.nextInt(1, 6) - 1]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });

  it('refuses an unsafe seed, an empty range and the all-zero state', () => {
    expect(() => new Xoshiro128StarStar(0.5)).toThrow(/safe integer/);
    expect(() => new Xoshiro128StarStar(7).nextInt(5, 4)).toThrow(/min <= max/);
    expect(() => Xoshiro128StarStar.fromState([0, 0, 0, 0])).toThrow(/all zero/);
  });
});
