// nn/dense.ts: the arithmetic of one fully-connected layer over a mini-batch
// (one sample per column), for the Dense layer (nn/layers.ts), whose whole
// batch or thread's rows it runs on; the convolution's backward reuses Wᵀδ.
// The activation's part (f and f′) stays with the caller, which knows whether
// it is a hidden or output layer.

import type { Matrix } from '../tensor/matrix.js';
import { addColumn, matmul, sumCols } from '../tensor/ops.js';

const TRANS_A = { transA: true } as const;
const TRANS_B = { transB: true } as const;

/** z = W·a + b, the bias added to every sample's column. z: n_out × m, W: n_out × n_in, a: n_in × m, b: n_out × 1. */
export function weightedInput(z: Matrix, w: Matrix, a: Matrix, b: Matrix): void {
  matmul(z, w, a);
  addColumn(z, z, b);
}

/** BP3 and BP4: ∂C/∂b = δ and ∂C/∂W = δ·aᵀ, summed over the m samples by the products themselves. */
export function denseGradients(nablaB: Matrix, nablaW: Matrix, delta: Matrix, aPrev: Matrix): void {
  sumCols(nablaB, delta); // BP3
  matmul(nablaW, delta, aPrev, TRANS_B); // BP4
}

/** Wᵀδ: the error carried down to the layer below (BP2 before its ⊙ f′(z)). out: n_in × m. */
export function errorBelow(out: Matrix, w: Matrix, delta: Matrix): void {
  matmul(out, w, delta, TRANS_A);
}
