/** Token of the simulation's seeded random number generator. */
export const Rng = Symbol.for('@chronovisor/core:Rng');

/**
 * The only randomness plugin logic may use: seeded, so the same seed gives the same stream on
 * every platform and every run.
 */
export interface Rng {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniformly distributed float in [0, 1), with 32 bits of randomness. */
  nextFloat(): number;
  /** A uniformly distributed integer in [min, max] (inclusive, max - min < 2^32), without modulo bias. */
  nextInt(min: number, max: number): number;
}

/** The four 32-bit words of a {@link Xoshiro128StarStar}'s state. */
export type RngState = readonly [number, number, number, number];

/**
 * xoshiro128** 1.0 (Blackman and Vigna, 2018): 128 bits of state, period 2^128 − 1, fast with
 * 32-bit integer arithmetic only, so JavaScript computes exactly what the reference C code does.
 * The state is seeded from a safe integer by SplitMix32, which never yields the all-zero state
 * for the four consecutive words drawn.
 */
export class Xoshiro128StarStar implements Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`RNG seed must be a safe integer, got ${seed}`);
    // Fold both halves of the seed in, so seeds differing only above bit 32 still differ.
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 0x1_0000_0000) | 0, 0x9e3779b9);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x ^ (x >>> 16);
      z = Math.imul(z, 0x21f0aaad);
      z ^= z >>> 15;
      z = Math.imul(z, 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.setState([next(), next(), next(), next()]);
  }

  /** A generator positioned at exactly this state (e.g. to resume a saved simulation). */
  static fromState(state: RngState): Xoshiro128StarStar {
    const rng = new Xoshiro128StarStar(0);
    rng.setState(state);
    return rng;
  }

  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  nextInt(min: number, max: number): number {
    const span = max - min + 1;
    if (
      !Number.isSafeInteger(min) ||
      !Number.isSafeInteger(max) ||
      span < 1 ||
      span > 0x1_0000_0000
    ) {
      throw new RangeError(
        `nextInt needs integers with min <= max and a span of at most 2^32, got [${min}, ${max}]`,
      );
    }
    // Rejection sampling: drop the top partial bucket so every value is equally likely.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
    let draw = this.nextUint32();
    while (draw >= limit) draw = this.nextUint32();
    return min + (draw % span);
  }

  /** The current state, to save with a snapshot. */
  state(): RngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Writes the state into `target` without allocating: the kernel saves it before every command. */
  copyStateTo(target: Uint32Array): void {
    target[0] = this.s0;
    target[1] = this.s1;
    target[2] = this.s2;
    target[3] = this.s3;
  }

  /** Repositions the generator at a saved state. */
  setState(state: ArrayLike<number>): void {
    if (state.length !== 4)
      throw new RangeError(`xoshiro128** state is 4 words, got ${state.length}`);
    if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
