// tests/reference.ts: the algorithmic references the fast code is checked
// against: obvious triple loops in float64, and a one-sample-at-a-time float64
// network that follows network.py's update_mini_batch/backprop line by line.
// Slow and plain on purpose.

import type { OptimizerSettings } from '../src/nn/optimizers/index.js';
import { expect } from 'vitest';
import { Rng } from '../src/rng.js';

/** C = op(A)·op(B) in float64, where A is stored ar×ac and B br×bc, row-major. */
export function refMatmul(
  a: ArrayLike<number>, ar: number, ac: number,
  b: ArrayLike<number>, br: number, bc: number,
  transA: boolean, transB: boolean,
): Float64Array {
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  const A = (i: number, p: number) => (transA ? a[p * ac + i] : a[i * ac + p]);
  const B = (p: number, j: number) => (transB ? b[j * bc + p] : b[p * bc + j]);
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
      c[i * n + j] = s;
    }
  }
  return c;
}

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

/**
 * Every |actual − expected| ≤ tol + |expected|·rel, as llm.c compares; on
 * failure the message names the first mismatching index and both values.
 */
export function expectAllClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, rel = 1e-5, label = '',
): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= tol + Math.abs(e) * rel)) {
      expect.fail(`${label} mismatch at index ${i}: got ${a}, expected ${e} (tol ${tol}, rel ${rel})`);
    }
  }
}

export const sigmoid64 = (z: number): number => 1 / (1 + Math.exp(-z));

/** A network in float64 as network.py holds it: weights[l][j][k], biases[l][j]. */
export interface RefNet {
  sizes: number[];
  weights: number[][][];
  biases: number[][];
}

export function refFeedforward(net: RefNet, x: number[]): number[] {
  let a = x;
  for (let l = 0; l < net.weights.length; l++) {
    a = net.weights[l].map((row, j) => sigmoid64(row.reduce((s, w, k) => s + w * a[k], 0) + net.biases[l][j]));
  }
  return a;
}

/** network.py's backprop for one sample (quadratic cost): nabla_b, nabla_w. */
function refBackprop(net: RefNet, x: number[], y: number[]): { nb: number[][]; nw: number[][][] } {
  const activations = [x];
  const zs: number[][] = [];
  for (let l = 0; l < net.weights.length; l++) {
    const a = activations[l];
    const z = net.weights[l].map((row, j) => row.reduce((s, w, k) => s + w * a[k], 0) + net.biases[l][j]);
    zs.push(z);
    activations.push(z.map(sigmoid64));
  }
  const L = net.weights.length;
  const sp = (z: number) => sigmoid64(z) * (1 - sigmoid64(z));
  const nb: number[][] = new Array(L);
  const nw: number[][][] = new Array(L);
  let delta = activations[L].map((a, j) => (a - y[j]) * sp(zs[L - 1][j]));
  for (let l = L - 1; l >= 0; l--) {
    if (l < L - 1) {
      const next = delta;
      delta = zs[l].map((z, j) => net.weights[l + 1].reduce((s, row, i) => s + row[j] * next[i], 0) * sp(z));
    }
    nb[l] = delta.slice();
    nw[l] = delta.map((d) => activations[l].map((a) => d * a));
  }
  return { nb, nw };
}

/** network.py's update_mini_batch: sum the per-sample gradients, then step. */
export function refUpdateMiniBatch(net: RefNet, batch: { x: number[]; y: number[] }[], eta: number): void {
  const L = net.weights.length;
  const nb = net.biases.map((b) => b.map(() => 0));
  const nw = net.weights.map((w) => w.map((row) => row.map(() => 0)));
  for (const { x, y } of batch) {
    const d = refBackprop(net, x, y);
    for (let l = 0; l < L; l++) {
      nb[l] = nb[l].map((v, j) => v + d.nb[l][j]);
      nw[l] = nw[l].map((row, j) => row.map((v, k) => v + d.nw[l][j][k]));
    }
  }
  const m = batch.length;
  for (let l = 0; l < L; l++) {
    net.weights[l] = net.weights[l].map((row, j) => row.map((w, k) => w - (eta / m) * nw[l][j][k]));
    net.biases[l] = net.biases[l].map((b, j) => b - (eta / m) * nb[l][j]);
  }
}

/**
 * ∂C/∂params[i] by central differences with step h: C at params[i] ± h, over
 * the float32 values actually set (so rounding of the step is not an error),
 * and params[i] restored exactly. The gradient checks' one finite difference.
 */
export function centralSlope(params: Float32Array, i: number, h: number, C: () => number): number {
  const saved = params[i];
  params[i] = saved + h;
  const hi = params[i];
  const plus = C();
  params[i] = saved - h;
  const lo = params[i];
  const minus = C();
  params[i] = saved;
  return (plus - minus) / (hi - lo);
}

/** The gradient checks' relative error: |numeric − analytic| / max(floor, |numeric| + |analytic|). */
export function gradientError(numeric: number, analytic: number, floor = 1e-2): number {
  return Math.abs(numeric - analytic) / Math.max(floor, Math.abs(numeric) + Math.abs(analytic));
}

/** The update rules in float64, one parameter at a time, as the papers write them: the twins of nn/optimizers/ (the same settings). */
export type RefRule = OptimizerSettings;

/**
 * One step of w (weights when `decay`) from the gradient g summed over m
 * samples; `state` holds the velocity, or Adam's two moments, and t counts the
 * steps (this one included). `scale`: the gradient's weight after dropout.
 */
export function refOptimizerStep(
  r: RefRule, w: number[], g: number[], state: number[][], t: number, eta: number, m: number, decay: boolean, scale = 1,
): void {
  const l2 = decay ? r.lambda / r.n : 0;
  for (let i = 0; i < w.length; i++) {
    const grad = (scale * g[i]) / m; // the mean gradient
    if (r.name === 'sgd' || r.name === 'momentum') {
      // network2.py: v ← μv − η(∇/m + (λ/n)w), w ← w + v (μ = 0: plain SGD with weight decay)
      const step = eta * grad + eta * l2 * w[i];
      if (r.momentum) {
        state[0][i] = r.momentum * state[0][i] - step;
        w[i] += state[0][i];
      } else {
        w[i] -= step;
      }
    } else if (r.name === 'nesterov') {
      const d = eta * grad + eta * l2 * w[i];
      state[0][i] = r.momentum * state[0][i] - d;
      w[i] += r.momentum * state[0][i] - d;
    } else {
      const full = r.name === 'adam' ? grad + l2 * w[i] : grad;
      state[0][i] = r.beta1 * state[0][i] + (1 - r.beta1) * full;
      state[1][i] = r.beta2 * state[1][i] + (1 - r.beta2) * full * full;
      const mHat = state[0][i] / (1 - r.beta1 ** t);
      const vHat = state[1][i] / (1 - r.beta2 ** t);
      if (r.name === 'adamw') w[i] -= eta * l2 * w[i];
      w[i] -= (eta * mHat) / (Math.sqrt(vHat) + r.eps);
    }
  }
}
