// The checked matrix ops: results, identities, and the shape errors that name
// the op and both shapes.

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Matrix } from '../src/tensor/matrix.js';
import {
  addColumn, argmaxCols, axpy, hadamard, map, matmul, sub, sumCols, transpose, zip,
} from '../src/tensor/ops.js';
import { Rng } from '../src/rng.js';
import { expectAllClose, randomArray, refMatmul } from './reference.js';

const rand = (rng: Rng, r: number, c: number) => new Matrix(r, c, randomArray(rng, r * c));

describe('matmul', () => {
  it('computes every transpose combination without copying', () => {
    const rng = new Rng(3);
    const a = rand(rng, 4, 6);
    const b = rand(rng, 6, 5);
    const bt = transpose(new Matrix(5, 6), b);
    const at = transpose(new Matrix(6, 4), a);
    const expected = refMatmul(a.data, 4, 6, b.data, 6, 5, false, false);
    for (const [x, y, transA, transB] of [
      [a, b, false, false], [a, bt, false, true], [at, b, true, false], [at, bt, true, true],
    ] as const) {
      const out = matmul(new Matrix(4, 5), x, y, { transA, transB });
      expectAllClose(out.data, expected, 1e-5, 1e-5, `transA=${transA} transB=${transB}`);
    }
  });

  it('fused transposed product equals the product of the transpose (identity)', () => {
    const rng = new Rng(4);
    const d = rand(rng, 10, 7); // δ: n_out × m
    const a = rand(rng, 30, 7); // a: n_in × m
    const fused = matmul(new Matrix(10, 30), d, a, { transB: true });
    const plain = matmul(new Matrix(10, 30), d, transpose(new Matrix(7, 30), a));
    expectAllClose(fused.data, plain.data, 1e-6, 1e-5, 'δ·aᵀ');
  });

  it('throws a RangeError naming the op, both shapes and the flags', () => {
    const w = new Matrix(30, 784);
    const x = new Matrix(30, 10);
    expect(() => matmul(new Matrix(30, 10), w, x)).toThrow(RangeError);
    expect(() => matmul(new Matrix(30, 10), w, x)).toThrow(
      'matmul: inner dimensions 784 and 30 differ; a is 30×784, b is 30×10 (transA=false, transB=false)',
    );
    expect(() => matmul(new Matrix(10, 10), w, new Matrix(784, 10))).toThrow(
      'matmul: out is 10×10 but a (30×784) times b (784×10) is 30×10',
    );
    const sq = new Matrix(3, 3);
    expect(() => matmul(sq, sq, new Matrix(3, 3))).toThrow('must not share its data');
  });
});

describe('element-wise ops', () => {
  const a = Matrix.fromRows([[1, 2, 3], [4, 5, 6]]);
  const b = Matrix.fromRows([[6, 5, 4], [3, 2, 1]]);

  it('compute what they say', () => {
    expect(addColumn(new Matrix(2, 3), a, Matrix.column([10, 20])).toRows()).toEqual([[11, 12, 13], [24, 25, 26]]);
    expect(sumCols(new Matrix(2, 1), a).toRows()).toEqual([[6], [15]]);
    expect(sub(new Matrix(2, 3), a, b).toRows()).toEqual([[-5, -3, -1], [1, 3, 5]]);
    expect(hadamard(new Matrix(2, 3), a, b).toRows()).toEqual([[6, 10, 12], [12, 10, 6]]);
    expect(map(new Matrix(2, 3), a, (v) => v * v).toRows()).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(zip(new Matrix(2, 3), a, b, Math.max).toRows()).toEqual([[6, 5, 4], [4, 5, 6]]);
    expect(axpy(a.clone(), 2, b).toRows()).toEqual([[13, 12, 11], [10, 9, 8]]);
    expect(Array.from(argmaxCols(new Uint8Array(3), a))).toEqual([1, 1, 1]);
  });

  it('transpose twice is the identity', () => {
    const t = transpose(new Matrix(3, 2), a);
    expect(t.toRows()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(transpose(new Matrix(2, 3), t).toRows()).toEqual(a.toRows());
  });

  it('reject mismatched shapes with the op and the shapes', () => {
    const c = new Matrix(3, 2);
    expect(() => sub(new Matrix(2, 3), a, c)).toThrow('sub: shapes differ; 2×3 and 3×2');
    expect(() => hadamard(new Matrix(2, 3), a, c)).toThrow(RangeError);
    expect(() => zip(c, a, b, Math.max)).toThrow('zip: shapes differ; 3×2 and 2×3');
    expect(() => addColumn(new Matrix(2, 3), a, Matrix.column([1, 2, 3]))).toThrow(
      'addColumn: b must be a 2×1 column for a 2×3; a is 2×3, b is 3×1',
    );
    expect(() => sumCols(new Matrix(3, 1), a)).toThrow('sumCols: out must be 2×1; a is 2×3, out is 3×1');
    expect(() => argmaxCols(new Uint8Array(2), a)).toThrow('argmaxCols: out has 2 entries but a is 2×3');
    expect(() => transpose(new Matrix(2, 3), a)).toThrow('transpose: out must be 3×2');
  });
});

describe('Matrix', () => {
  it('is a view on its data, with checked construction', () => {
    const buf = new Float32Array(6);
    const m = new Matrix(2, 3, buf);
    m.set(1, 2, 7);
    expect(buf[5]).toBe(7);
    expect(m.get(1, 2)).toBe(7);
    expect(() => new Matrix(2, 3, new Float32Array(5))).toThrow('a 2×3 matrix needs 6 values, got 5');
    expect(() => new Matrix(0, 3)).toThrow(RangeError);
    expect(() => Matrix.fromRows([[1, 2], [3]])).toThrow('row 1 has 1 values, row 0 has 2');
  });

  it('prints its shape and a few values when logged', () => {
    const small = Matrix.fromRows([[1, 0.5], [-2, 0.25]]);
    expect(String(small)).toBe('Matrix 2×2 [1, 0.5, -2, 0.25]');
    const big = new Matrix(30, 784);
    big.data[0] = 0.123456;
    expect(inspect(big)).toBe('Matrix 30×784 [0.1235, 0, 0, …, 0, 0]');
  });
});
