// rng.ts: a seeded pseudo-random generator with explicit state (xoshiro128**).
// Everything random in digitnet (initial weights, shuffling) draws from one of
// these, passed in explicitly, so the same seed gives the same run bit for bit.
// Not cryptographic; not numpy's Mersenne Twister (so not the same numbers as
// network.py, only the same distributions).

/** The whole state of an Rng: four 32-bit words. Saved in checkpoints. */
export type RngState = [number, number, number, number];

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** splitmix32: spreads a small integer seed over 32 bits (used only to seed). */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** seed: an integer 0 ≤ seed < 2³². */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
      throw new RangeError(`Rng: seed must be an integer from 0 to 4294967295, got ${seed}`);
    }
    let x = seed | 0;
    let out: number;
    [x, out] = splitmix32(x);
    this.s0 = out;
    [x, out] = splitmix32(x);
    this.s1 = out;
    [x, out] = splitmix32(x);
    this.s2 = out;
    [, out] = splitmix32(x);
    this.s3 = out;
  }

  static fromState(state: readonly number[]): Rng {
    const valid =
      state.length === 4 && state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32);
    if (!valid || state.every((w) => w === 0)) {
      throw new RangeError('Rng.fromState: expected four 32-bit unsigned words, not all zero');
    }
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state;
    return rng;
  }

  state(): RngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** The next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). n ≤ 2³². */
  below(n: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform (one draw per call). */
  gaussian(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
