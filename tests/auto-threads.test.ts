// --threads auto: one thread for a fully-connected step too small to share, both cores otherwise.

import { describe, expect, it } from 'vitest';
import { autoThreads, SMALL_STEP } from '../src/nn/parallel/auto.js';

describe('autoThreads', () => {
  it('takes one thread for a fully-connected step under SMALL_STEP multiply-adds, two from there on', () => {
    expect(autoThreads(true, 23_860, 10, 2)).toBe(1); // the book's 784-30-10 at mini-batch 10
    expect(autoThreads(true, 79_510, 10, 2)).toBe(1); // 784-100-10 at 10
    expect(autoThreads(true, 23_860, 100, 2)).toBe(2); // 784-30-10 at 100
    expect(autoThreads(true, SMALL_STEP / 10 - 1, 10, 2)).toBe(1);
    expect(autoThreads(true, SMALL_STEP / 10, 10, 2)).toBe(2);
  });

  it('takes two for any other network, however small, and one on one core', () => {
    expect(autoThreads(false, 1_000, 1, 2)).toBe(2);
    expect(autoThreads(true, 10_000_000, 100, 1)).toBe(1);
    expect(autoThreads(false, 10_000_000, 100, 1)).toBe(1);
    expect(autoThreads(true, 10_000_000, 100, 8)).toBe(2); // both of two cores, as ever: not more
  });
});
