/**
 * An incremental hash of a set of (key, value) elements: each element adds a 64-bit mix of it
 * (two independent 32-bit lanes, modulo 2^32), so adding or removing one element costs O(1)
 * and the result does not depend on the order of changes, only on the final set. The MMU keeps
 * one over memory words, one over reference counts and one per page table, so its state digest
 * costs O(spaces), not O(memory); the heap keeps one per heap over its blocks and free chunks. Not a cryptographic hash: it tells equal states from unequal
 * ones (the audit chain, not this, is what resists forgery).
 */
export class MultisetHash {
  lo = 0;
  hi = 0;

  /** Adds the element (a, b, c, d), four unsigned 32-bit words. */
  add(a: number, b: number, c: number, d: number): void {
    this.lo = (this.lo + mix(a, b, c, d, 0x9747b28c)) >>> 0;
    this.hi = (this.hi + mix(a, b, c, d, 0x3c6ef372)) >>> 0;
  }

  /** Removes an element added before. */
  remove(a: number, b: number, c: number, d: number): void {
    this.lo = (this.lo - mix(a, b, c, d, 0x9747b28c)) >>> 0;
    this.hi = (this.hi - mix(a, b, c, d, 0x3c6ef372)) >>> 0;
  }

  /** Adds or removes an element given as a key up to 2^53 and a value up to 2^53. */
  addPair(key: number, value: number, sign: 1 | -1): void {
    const kLo = key >>> 0;
    const kHi = Math.floor(key / 0x1_0000_0000) >>> 0;
    const vLo = value >>> 0;
    const vHi = Math.floor(value / 0x1_0000_0000) >>> 0;
    if (sign > 0) this.add(kLo, kHi, vLo, vHi);
    else this.remove(kLo, kHi, vLo, vHi);
  }

  /**
   * Adds (sign 1) or removes (sign -1) a tuple of up to seven safe integers, the first naming
   * what kind of fact it is: each number's two 32-bit halves are chained through the mix, so
   * the whole tuple counts, not its parts one by one.
   */
  toggle(sign: 1 | -1, kind: number, a: number, b = 0, c = 0, d = 0, e = 0, f = 0): void {
    const m1 = mix(kind, a >>> 0, high(a), b >>> 0, 0x2545f491);
    const m2 = mix(m1, high(b), c >>> 0, high(c), 0x61c88647);
    const m3 = mix(m2, d >>> 0, high(d), e >>> 0, 0x7f4a7c15);
    const m4 = mix(m3, high(e), f >>> 0, high(f), 0x1b873593);
    if (sign > 0) this.add(m1, m2, m3, m4);
    else this.remove(m1, m2, m3, m4);
  }

  get value(): readonly [number, number] {
    return [this.lo, this.hi];
  }

  set(value: readonly [number, number]): void {
    [this.lo, this.hi] = value;
  }
}

const high = (n: number): number => Math.floor(n / 0x1_0000_0000) >>> 0;

// Bound once: a global lookup per call is slow where globals are proxied (jest's vm contexts).
const imul = Math.imul;

/** MurmurHash3's body and finalizer over four words: every input bit reaches every output bit. */
function mix(a: number, b: number, c: number, d: number, seed: number): number {
  let h = seed;
  h = round(h, a);
  h = round(h, b);
  h = round(h, c);
  h = round(h, d);
  h ^= 16;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function round(h: number, k: number): number {
  k = imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}
