// The gemm kernels and the element-wise kernels against their obvious
// float64 twins, on seeded random inputs and awkward shapes.

import { describe, expect, it } from 'vitest';
import { gemmNN, gemmNT, gemmStrided, gemmTN, gemmTT } from '../src/kernels/gemm.js';
import {
  addColumnInPlace, allFinite, argmaxColumns, axpy, mulInto, subInto, sumColumns,
} from '../src/kernels/elementwise.js';
import { Rng } from '../src/rng.js';
import { expectAllClose, randomArray, refMatmul } from './reference.js';

// (m, k, n): 1×n, n×1, k = 1, odd and prime sizes, and the network's real shapes
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 9, 1], [1, 5, 7], [7, 5, 1], [6, 1, 4], [3, 7, 5], [13, 17, 11],
  [4, 4, 4], [8, 3, 6], [12, 5, 9], [30, 784, 10], [10, 30, 10], [30, 10, 784], [100, 784, 1],
];

const KERNELS = [
  { name: 'gemmNN', f: gemmNN, transA: false, transB: false },
  { name: 'gemmNT', f: gemmNT, transA: false, transB: true },
  { name: 'gemmTN', f: gemmTN, transA: true, transB: false },
  { name: 'gemmTT', f: gemmTT, transA: true, transB: true },
];

describe('gemm kernels match the triple-loop reference', () => {
  for (const { name, f, transA, transB } of KERNELS) {
    for (const [m, k, n] of SHAPES) {
      it(`${name} ${m}×${k}·${k}×${n}`, () => {
        const rng = new Rng(m * 1000 + k * 10 + n);
        const a = randomArray(rng, m * k);
        const b = randomArray(rng, k * n);
        const [ar, ac] = transA ? [k, m] : [m, k];
        const [br, bc] = transB ? [n, k] : [k, n];
        const expected = refMatmul(a, ar, ac, b, br, bc, transA, transB);
        const c = new Float32Array(m * n).fill(Number.NaN); // overwritten, never read
        f(c, a, b, m, k, n);
        expectAllClose(c, expected, 1e-5, 1e-4, name);

        // accumulate: C ← C + op(A)·op(B)
        const c0 = randomArray(rng, m * n);
        const acc = c0.slice();
        f(acc, a, b, m, k, n, true);
        expectAllClose(acc, expected.map((v, i) => v + c0[i]), 1e-5, 1e-4, `${name} accumulate`);
      });
    }
  }
});

describe('gemmStrided with column-major operands and output', () => {
  for (const [m, k, n] of SHAPES) {
    it(`${m}×${k}·${k}×${n}, every operand column-major`, () => {
      const rng = new Rng(m + 7 * k + 13 * n);
      const a = randomArray(rng, m * k); // A m×k column-major: A(i, p) = a[p·m + i]
      const b = randomArray(rng, k * n); // B k×n column-major: B(p, j) = b[j·k + p]
      const c = new Float32Array(m * n); // C m×n column-major
      gemmStrided(c, a, b, m, k, n, 1, m, 1, k, 1, m, false);
      // the same product with A and B stored transposed-row-major is Aᵀᵀ·Bᵀᵀ
      const expected = refMatmul(a, k, m, b, n, k, true, true); // row-major m×n
      const asColMajor = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) asColMajor[j * m + i] = expected[i * n + j];
      expectAllClose(c, asColMajor, 1e-5, 1e-4, 'col-major');
    });
  }
});

describe('element-wise kernels', () => {
  const rng = new Rng(7);
  const rows = 5;
  const cols = 3;
  const a = randomArray(rng, rows * cols);
  const b = randomArray(rng, rows * cols);

  it('addColumnInPlace adds b[i] to every entry of row i', () => {
    const bias = randomArray(rng, rows);
    const z = a.slice();
    addColumnInPlace(z, bias, rows, cols, cols, 1);
    expectAllClose(z, Array.from(a, (v, i) => v + bias[Math.floor(i / cols)]), 1e-6, 1e-6);
  });

  it('sumColumns sums each row over its columns', () => {
    const out = new Float32Array(rows);
    sumColumns(out, a, rows, cols, cols, 1);
    const expected = Array.from({ length: rows }, (_, i) => a[i * cols] + a[i * cols + 1] + a[i * cols + 2]);
    expectAllClose(out, expected, 1e-6, 1e-6);
  });

  it('axpy, sub and Hadamard product', () => {
    const y = a.slice();
    axpy(y, -0.5, b, y.length);
    expectAllClose(y, Array.from(a, (v, i) => v - 0.5 * b[i]), 1e-6, 1e-6);
    const d = new Float32Array(a.length);
    subInto(d, a, b, a.length);
    expectAllClose(d, Array.from(a, (v, i) => v - b[i]), 1e-6, 1e-6);
    mulInto(d, a, b, a.length);
    expectAllClose(d, Array.from(a, (v, i) => v * b[i]), 1e-6, 1e-6);
  });

  it('argmaxColumns picks the largest row per column, the first one on ties', () => {
    // columns: [1, 3, 2] → 1; [5, 5, 0] → 0 (tie); [-1, -3, -0.5] → 2
    const m = new Float32Array([1, 5, -1, 3, 5, -3, 2, 0, -0.5]);
    const out = new Uint8Array(3);
    argmaxColumns(out, m, 3, 3, 3, 1);
    expect(Array.from(out)).toEqual([1, 0, 2]);
  });

  it('the strided loops read column-major storage too', () => {
    // the same 5×3 matrix stored column by column
    const colMajor = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) colMajor[j * rows + i] = a[i * cols + j];
    const byRow = new Float32Array(rows);
    const byCol = new Float32Array(rows);
    sumColumns(byRow, a, rows, cols, cols, 1);
    sumColumns(byCol, colMajor, rows, cols, 1, rows);
    expectAllClose(byCol, byRow, 1e-6, 1e-6);
    const argRow = new Uint8Array(cols);
    const argCol = new Uint8Array(cols);
    argmaxColumns(argRow, a, rows, cols, cols, 1);
    argmaxColumns(argCol, colMajor, rows, cols, 1, rows);
    expect(Array.from(argCol)).toEqual(Array.from(argRow));
    const bias = randomArray(rng, rows);
    addColumnInPlace(colMajor, bias, rows, cols, 1, rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
      expect(colMajor[j * rows + i]).toBe(Math.fround(a[i * cols + j] + bias[i]));
    }
  });

  it('allFinite finds NaN and infinities', () => {
    expect(allFinite(new Float32Array([0, 1, -2]), 3)).toBe(true);
    expect(allFinite(new Float32Array([0, Number.NaN, 2]), 3)).toBe(false);
    expect(allFinite(new Float32Array([0, 1, Number.NEGATIVE_INFINITY]), 3)).toBe(false);
  });
});
