// nn/activations.ts: activation functions, forward and derivative side by side.
// The derivative is computed from the saved output a = σ(z), not from z
// (σ′(z) = σ(z)(1 − σ(z)) = a(1 − a)), so backprop needs no second exp().
// Allocation-free loops over Float32Arrays of n entries.

export interface Activation {
  readonly name: string;
  /** a = σ(z); `a` may be `z`. */
  forward(a: Float32Array, z: Float32Array, n: number): void;
  /** delta ⊙= σ′(z), given a = σ(z). */
  backward(delta: Float32Array, a: Float32Array, n: number): void;
}

/** The logistic sigmoid of chapter 1: σ(z) = 1 / (1 + e⁻ᶻ). */
export const sigmoid: Activation = {
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
