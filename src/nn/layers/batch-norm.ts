// nn/layers/batch-norm.ts: batch normalisation (Ioffe & Szegedy, 2015). Each
// channel (a dense layer's unit; a convolution's feature map, over all its
// positions) is normalised over the mini-batch, then scaled and shifted by
// trained γ and β:
//   μ = mean of x,  σ² = mean of (x − μ)²,  x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β.
// While training it also keeps running averages of μ and σ² (PyTorch's
// momentum 0.1 and unbiased σ²), which evaluation uses in place of the
// batch's: a model predicts one image the same way whatever batch it is in.
// Backward, with N values per channel and δ = ∂C/∂y:
//   ∇β = Σ δ,  ∇γ = Σ δ·x̂,  ∂C/∂x = γ/(N·√(σ² + ε)) · (N·δ − ∇β − x̂·∇γ).
// Sums are taken in float64, so a channel of 20 × 576 values adds up cleanly.
// "bn relu" applies an activation after it, a = f(y), as the paper places
// batch norm between a layer's weighted input and its nonlinearity
// ("conv 32 5x5 linear, bn relu"); backward first takes δ = ∂C/∂a ⊙ f′.
// Frozen (`frozen`), a training step uses the running μ and σ² as evaluation
// does and leaves them as they are: y is then a fixed affine map of x, and
// ∂C/∂x = γ·δ/√(σ² + ε). That is how a step on one example can be taken
// (the backprop explorer's), and how fine-tuning on a few images keeps the
// statistics of the many the model learnt from.

import { linear, type Activation } from '../activations.js';
import { shapeText, type Shape } from '../layer-spec.js';
import type { Backend } from '../../backend.js';
import { Buffers, fName, type Cols, type Layer, type LayerProbe, type ParamGroup, type StateGroup } from './layer.js';

/** ε under the square root, and the running averages' momentum: PyTorch's BatchNorm defaults. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export class BatchNorm implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly groups: readonly ParamGroup[];
  readonly paramCount: number;
  readonly stateGroups: readonly StateGroup[];
  name = 'bn';
  probe: LayerProbe | null = null;
  readonly buf: Buffers;
  /** Channels C and values per channel per sample P (H·W; 1 after a dense layer). */
  readonly channels: number;
  readonly positions: number;
  /** Whether training updates the running averages (off for a thread's replica: thread 0's are kept, as PyTorch's DDP keeps rank 0's). */
  tracks = true;
  /** Whether a training step uses the running averages (and keeps them) instead of the batch's statistics. */
  frozen = false;
  gamma!: Float32Array;
  beta!: Float32Array;
  runningMean!: Float32Array;
  runningVar!: Float32Array;
  private gGamma!: Float32Array;
  private gBeta!: Float32Array;
  /** The last training batch's 1/√(σ² + ε) per channel, for backward. */
  private readonly invStd: Float64Array;

  constructor(readonly input: Shape, backend: Backend, readonly f: Activation = linear) {
    this.output = input;
    this.describe = f === linear ? 'bn' : `bn ${f.name}`;
    this.channels = input.c;
    this.positions = input.h * input.w;
    const C = this.channels;
    this.groups = [{ name: 'γ', rows: C, cols: 1, decay: false }, { name: 'β', rows: C, cols: 1, decay: false }];
    this.paramCount = 2 * C;
    this.stateGroups = [{ name: 'mean', length: C }, { name: 'var', length: C }];
    this.buf = new Buffers(backend);
    this.invStd = new Float64Array(C);
  }

  traceForward(m: number, train: boolean): string {
    const over = this.positions > 1 ? `${m} samples × ${this.positions} positions` : `${m} samples`;
    const out = this.f === linear ? `y = γ⊙x̂ + β` : `a = ${fName(this.f)}(γ⊙x̂ + β)`;
    const frozen = train && this.frozen ? ' (frozen: the running averages of training, kept as they are)' : '';
    return train && !this.frozen
      ? `${this.name}  x̂ = (x − μ)/√(σ² + ε), μ and σ² of each of ${this.channels} channels over ${over}; ${out} → (${shapeText(this.output)})`
      : `${this.name}  x̂ = (x − running μ)/√(running σ² + ε)${frozen}; ${out} → (${shapeText(this.output)})`;
  }

  traceBackward(_m: number, needDx: boolean): string {
    const dx = this.frozen ? 'γ⊙δ/√(running σ²+ε)' : 'γ/(N√(σ²+ε))·(Nδ − ∇β − x̂⊙∇γ)';
    const down = needDx ? `; ∂C/∂x = ${dx} → (${shapeText(this.input)})` : '';
    const first = this.f === linear ? '' : `δ = ∂C/∂a ⊙ ${fName(this.f)}′ (${shapeText(this.output)}); `;
    return `${this.name}  ${first}∇β = Σ δ (${this.channels}); ∇γ = Σ δ⊙x̂ (${this.channels})${down}`;
  }

  bind(params: Float32Array, grads: Float32Array, state: Float32Array): void {
    const C = this.channels;
    this.gamma = params.subarray(0, C);
    this.beta = params.subarray(C, 2 * C);
    this.gGamma = grads.subarray(0, C);
    this.gBeta = grads.subarray(C, 2 * C);
    this.runningMean = state.subarray(0, C);
    this.runningVar = state.subarray(C, 2 * C);
  }

  /** γ = 1, β = 0: the layer starts as the identity on a normalised input. Draws nothing. */
  init(): void {
    this.gamma.fill(1);
    this.beta.fill(0);
  }

  /** Running averages as PyTorch starts them: μ = 0, σ² = 1. */
  resetState(): void {
    this.runningMean.fill(0);
    this.runningVar.fill(1);
  }

  forward(x: Float32Array, b: Cols, train: boolean): Float32Array {
    const { channels: C, positions: P } = this;
    const m = b.m;
    const y = this.buf.get(b, 'y', C * P);
    const xhat = this.buf.get(b, 'xhat', C * P);
    const N = m * P;
    const batchStats = train && !this.frozen;
    for (let c = 0; c < C; c++) {
      let mean: number;
      let variance: number;
      if (batchStats) {
        let sum = 0;
        for (let s = 0; s < m; s++) for (let p = 0, i = (s * C + c) * P; p < P; p++, i++) sum += x[i];
        mean = sum / N;
        let sq = 0;
        for (let s = 0; s < m; s++) {
          for (let p = 0, i = (s * C + c) * P; p < P; p++, i++) {
            const d = x[i] - mean;
            sq += d * d;
          }
        }
        variance = sq / N;
        if (this.tracks) {
          this.runningMean[c] = (1 - BN_MOMENTUM) * this.runningMean[c] + BN_MOMENTUM * mean;
          const unbiased = N > 1 ? (sq / (N - 1)) : variance;
          this.runningVar[c] = (1 - BN_MOMENTUM) * this.runningVar[c] + BN_MOMENTUM * unbiased;
        }
      } else {
        mean = this.runningMean[c];
        variance = this.runningVar[c];
      }
      const inv = 1 / Math.sqrt(variance + BN_EPS);
      if (train) this.invStd[c] = inv;
      const g = this.gamma[c];
      const bt = this.beta[c];
      for (let s = 0; s < m; s++) {
        for (let p = 0, i = (s * C + c) * P; p < P; p++, i++) {
          const h = (x[i] - mean) * inv;
          xhat[i] = h;
          y[i] = g * h + bt;
        }
      }
    }
    this.probe?.('z', y); // y = γ·x̂ + β, before the activation
    if (this.f !== linear) this.f.forward(y, y, N * C); // a = f(y), in place
    return y;
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, grads: boolean, needDx: boolean): Float32Array | null {
    const { channels: C, positions: P } = this;
    const m = b.m;
    const N = m * P;
    const xhat = this.buf.get(b, 'xhat', C * P);
    const dx = needDx ? this.buf.get(b, 'dx', C * P) : null;
    if (this.f !== linear) {
      // δ = ∂C/∂a ⊙ f′, from the saved a = f(y)
      const delta = this.buf.get(b, 'delta', C * P);
      delta.set(dy.subarray(0, N * C));
      this.f.backward(delta, this.buf.get(b, 'y', C * P), N * C);
      dy = delta;
    }
    this.probe?.('delta', dy);
    for (let c = 0; c < C; c++) {
      let sumD = 0;
      let sumDX = 0;
      for (let s = 0; s < m; s++) {
        for (let p = 0, i = (s * C + c) * P; p < P; p++, i++) {
          sumD += dy[i];
          sumDX += dy[i] * xhat[i];
        }
      }
      if (grads) {
        this.gBeta[c] = sumD; // ∇β = Σ δ
        this.gGamma[c] = sumDX; // ∇γ = Σ δ·x̂
      }
      if (!dx) continue;
      if (this.frozen) {
        // μ and σ² are constants here: y = γ·(x − μ)/√(σ² + ε) + β, so ∂y/∂x = γ/√(σ² + ε)
        const k = this.gamma[c] * this.invStd[c];
        for (let s = 0; s < m; s++) for (let p = 0, i = (s * C + c) * P; p < P; p++, i++) dx[i] = k * dy[i];
        continue;
      }
      const k = (this.gamma[c] * this.invStd[c]) / N;
      for (let s = 0; s < m; s++) {
        for (let p = 0, i = (s * C + c) * P; p < P; p++, i++) dx[i] = k * (N * dy[i] - sumD - xhat[i] * sumDX);
      }
    }
    return dx;
  }
}

/** Runs fn with `flag` set to `value` on every batch-norm layer of `layers`, and back after. */
export function withBatchNorm<T>(layers: readonly Layer[], flag: 'tracks' | 'frozen', value: boolean, fn: () => T): T {
  const changed = layers.filter((l): l is BatchNorm => l instanceof BatchNorm && l[flag] !== value);
  for (const l of changed) l[flag] = value;
  try {
    return fn();
  } finally {
    for (const l of changed) l[flag] = !value;
  }
}
