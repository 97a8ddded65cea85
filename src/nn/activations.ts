// nn/activations.ts: activation functions, forward and derivative side by side.
// Each derivative is computed from the saved output a = f(z), not from z
// (σ′ = a(1 − a), tanh′ = 1 − a², relu′ = [a > 0]), so backprop needs no
// second exp(). Allocation-free loops over Float32Arrays of n entries.

import { wasmFor } from '../tensor/ops.js';

export interface Activation {
  readonly name: 'sigmoid' | 'tanh' | 'relu' | 'linear';
  /** a = f(z); `a` may be `z`. */
  forward(a: Float32Array, z: Float32Array, n: number): void;
  /** delta ⊙= f′(z), given a = f(z). */
  backward(delta: Float32Array, a: Float32Array, n: number): void;
}

/**
 * The logistic sigmoid of chapter 1: σ(z) = 1 / (1 + e⁻ᶻ). On arrays in
 * WebAssembly memory its twin runs (kernels/assembly/activations.ts: the same
 * doubles, with fdlibm's eˣ as Math.exp); `sigmoidTs` runs these loops alone.
 */
export const sigmoidTs: Activation = {
  name: 'sigmoid',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-z[i]));
  },
  backward(delta, a, n) {
    for (let i = 0; i < n; i++) {
      const ai = a[i];
      delta[i] *= ai * (1 - ai); // σ′(z) = σ(z)(1 − σ(z))
    }
  },
};

export const sigmoid = withTwin(sigmoidTs, 'sigmoidForward', 'sigmoidBackward');

type TwinLoops = Pick<NonNullable<ReturnType<typeof wasmFor>>, 'sigmoidForward' | 'sigmoidBackward' | 'reluForward' | 'reluBackward'>;

/**
 * `ts` where an array is on the JavaScript heap; its WebAssembly twin (the
 * loops named) where both arrays live in that memory. The twins take bare
 * pointers, so n must fit both arrays.
 */
function withTwin(ts: Activation, forward: keyof TwinLoops, backward: keyof TwinLoops): Activation {
  const fits = (x: Float32Array, y: Float32Array, n: number) => {
    if (n > x.length || n > y.length) throw new RangeError(`${ts.name}: ${n} entries asked of arrays of ${x.length} and ${y.length}`);
  };
  return {
    name: ts.name,
    forward(a, z, n) {
      fits(a, z, n);
      const wasm = wasmFor(a);
      if (wasm && wasm.owns(z)) wasm[forward](a, z, n);
      else ts.forward(a, z, n);
    },
    backward(delta, a, n) {
      fits(delta, a, n);
      const wasm = wasmFor(delta);
      if (wasm && wasm.owns(a)) wasm[backward](delta, a, n);
      else ts.backward(delta, a, n);
    },
  };
}

/** The hyperbolic tangent (chapter 3): outputs in (−1, 1). */
export const tanh: Activation = {
  name: 'tanh',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) a[i] = Math.tanh(z[i]);
  },
  backward(delta, a, n) {
    for (let i = 0; i < n; i++) {
      const ai = a[i];
      delta[i] *= 1 - ai * ai; // tanh′(z) = 1 − tanh²(z)
    }
  },
};

/**
 * The rectified linear unit (chapters 3 and 6): max(0, z). On arrays in
 * WebAssembly memory its SIMD twin runs (kernels/assembly/activations.ts); the
 * loops here are the reference, and `reluTs` runs them alone.
 */
export const reluTs: Activation = {
  name: 'relu',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : 0;
  },
  backward(delta, a, n) {
    for (let i = 0; i < n; i++) if (a[i] <= 0) delta[i] = 0; // relu′(z) = 1 for z > 0, else 0
  },
};

export const relu = withTwin(reluTs, 'reluForward', 'reluBackward');

/**
 * No activation: a = z, f′ = 1. For a layer whose output a batch norm
 * normalises before the nonlinearity ("conv 32 5x5 linear, bn relu").
 */
export const linear: Activation = {
  name: 'linear',
  forward(a, z, n) {
    if (a !== z) a.set(z.subarray(0, n));
  },
  backward() {
    // δ ⊙= 1
  },
};

export const activations: Record<Activation['name'], Activation> = { sigmoid, tanh, relu, linear };

/**
 * The softmax output layer (chapter 3), column by column: a column-major
 * rows×cols matrix holds one sample per contiguous column.
 * a_j = e^{z_j} / Σ_k e^{z_k}, computed with the column's maximum subtracted.
 */
export function softmaxColumns(a: Float32Array, z: Float32Array, rows: number, cols: number): void {
  for (let j = 0; j < cols; j++) {
    const o = j * rows;
    let max = -Infinity;
    for (let i = 0; i < rows; i++) if (z[o + i] > max) max = z[o + i];
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      const e = Math.exp(z[o + i] - max);
      a[o + i] = e;
      sum += e;
    }
    for (let i = 0; i < rows; i++) a[o + i] /= sum;
  }
}
