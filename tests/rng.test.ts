// The seeded generator: reproducible, restorable from its state, and with
// the distributions it promises.

import { describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 8 }, () => r.nextU32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0).every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
  });

  it('continues exactly from a saved state', () => {
    const a = new Rng(5);
    for (let i = 0; i < 100; i++) a.gaussian();
    const b = Rng.fromState(a.state());
    expect(Array.from({ length: 20 }, () => b.uniform())).toEqual(Array.from({ length: 20 }, () => a.uniform()));
  });

  it('rejects bad seeds and states', () => {
    expect(() => new Rng(-1)).toThrow(RangeError);
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(2 ** 32)).toThrow(RangeError);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(RangeError);
    expect(() => Rng.fromState([1, 2, 3])).toThrow(RangeError);
  });

  it('draws uniforms in [0, 1) and standard normals with mean 0 and variance 1', () => {
    const r = new Rng(11);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      const g = r.gaussian();
      sum += g;
      sumSq += g * g;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.015);
  });

  it('shuffles into a permutation, every position reachable, unbiased', () => {
    const r = new Rng(3);
    const counts = Array.from({ length: 4 }, () => new Array(4).fill(0));
    const trials = 40_000;
    for (let t = 0; t < trials; t++) {
      const a = [0, 1, 2, 3];
      r.shuffle(a);
      expect([...a].sort()).toEqual([0, 1, 2, 3]);
      a.forEach((v, pos) => counts[v][pos]++);
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c / trials - 0.25)).toBeLessThan(0.015);
  });
});
