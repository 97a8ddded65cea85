// nn/layers/dense.ts: the fully-connected layer of chapters 1–3, z = w·a + b,
// a = f(z), one sample per column, with BP1–BP4 labelled where they happen.
// Its three products (weightedInput, denseGradients, errorBelow) are also
// what a thread's share of its rows runs (nn/parallel/rows.ts) and what the
// convolution's gemms are (Wᵀδ). The activation's part (f and f′) stays in
// the layer, which knows whether it is a hidden or the output layer.

import { Matrix } from '../../tensor/matrix.js';
import { addColumn, matmul, sumCols } from '../../tensor/ops.js';
import { softmaxColumns, type Activation } from '../activations.js';
import { shapeText, type Shape } from '../layer-spec.js';
import type { Rng } from '../../rng.js';
import type { Backend } from '../../backend.js';
import { Buffers, countOf, fName, initWeights, size, sup, type Cols, type Layer, type LayerProbe, type ParamGroup } from './layer.js';

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

/**
 * A fully-connected layer: z = w·a + b, a = f(z), one sample per column (the
 * book's chapter 1). In a fully-connected stack it knows its number in the
 * book's numbering (layer 1 is the input), for the BP1–BP4 printout.
 */
export class Dense implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly groups: readonly ParamGroup[];
  readonly paramCount: number;
  readonly stateGroups = [];
  name = 'fc';
  probe: LayerProbe | null = null;
  /** The book's layer number l (its weights are wˡ), and the next layer's units; 0 outside a fully-connected stack. */
  book = 0;
  above = 0;
  /** w: units × n_in, b: units × 1, and their gradients (views into the stack's buffers). */
  w!: Matrix;
  b!: Matrix;
  gw!: Matrix;
  gb!: Matrix;
  readonly buf: Buffers;

  /** `isOutput`: the last layer, whose error δᴸ comes from the cost (BP1) as is. */
  constructor(readonly input: Shape, readonly units: number, readonly f: Activation | 'softmax', readonly isOutput: boolean, backend: Backend) {
    this.output = { c: units, h: 1, w: 1 };
    this.groups = [{ name: 'w', rows: units, cols: size(input), decay: true }, { name: 'b', rows: units, cols: 1, decay: false }];
    this.paramCount = countOf(this.groups);
    this.buf = new Buffers(backend);
    this.describe = f === 'softmax' ? `softmax ${units}` : isOutput ? `sigmoid ${units}` : `fc ${units} ${f.name}`;
  }

  traceForward(m: number): string {
    const n = size(this.input);
    if (!this.book) {
      return `${this.name}  z = W (${this.units}×${n}) · a (${shapeText(this.input)} → ${n}) + b (${this.units}), a = ${fName(this.f)}(z) → (${this.units})`;
    }
    const l = this.book;
    const [L, K] = [sup(l), sup(l - 1)];
    return `layer ${l}  z${L} = W${L}(${this.units}×${n})·a${K}(${n}×${m}) + b${L}(${this.units}×1) → (${this.units}×${m})\n` +
      `layer ${l}  a${L} = ${fName(this.f)}(z${L}) → (${this.units}×${m})`;
  }

  traceBackward(m: number, needDx: boolean): string {
    const n = size(this.input);
    if (!this.book) {
      const bp = this.isOutput ? 'δ = aᴸ − y (BP1)' : `δ = ∂C/∂a ⊙ ${fName(this.f)}′(z) (BP2)`;
      const down = needDx ? `; Wᵀδ → (${shapeText(this.input)})` : ' (the input needs no error)';
      return `${this.name}  ${bp} (${this.units}); ∇b = Σ δ (BP3) (${this.units}); ∇W = δ·aᵀ (BP4) (${this.units}×${n})${down}`;
    }
    const l = this.book;
    const [L, K, A] = [sup(l), sup(l - 1), sup(l + 1)];
    const d = `(${this.units}×${m})`;
    const bp2 = this.isOutput ? '' : `BP2  δ${L} = (W${A}ᵀ(${this.units}×${this.above})·δ${A}(${this.above}×${m})) ⊙ ${fName(this.f)}′(z${L})${d} → ${d}\n`;
    return bp2 +
      `BP3  ∇b${L} = Σ δ${L}${d} over ${m} samples → (${this.units}×1)\n` +
      `BP4  ∇W${L} = δ${L}${d}·a${K}ᵀ(${m}×${n}) → (${this.units}×${n})`;
  }

  bind(params: Float32Array, grads: Float32Array): void {
    const n = size(this.input);
    this.w = new Matrix(this.units, n, params.subarray(0, this.units * n));
    this.b = new Matrix(this.units, 1, params.subarray(this.units * n, this.paramCount));
    this.gw = new Matrix(this.units, n, grads.subarray(0, this.units * n));
    this.gb = new Matrix(this.units, 1, grads.subarray(this.units * n, this.paramCount));
  }

  init(rng: Rng): void {
    initWeights(this.w.data, this.b.data, this.w.cols, rng);
  }

  forward(x: Float32Array, b: Cols): Float32Array {
    const n = size(this.input);
    const a = this.buf.get(b, 'a', this.units);
    const z = this.buf.matrix(this.units, b.m, a, 'col');
    weightedInput(z, this.w, this.buf.matrix(n, b.m, x, 'col'), this.b); // z = w·a + b (one sample per column)
    this.probe?.('z', a);
    if (this.f === 'softmax') softmaxColumns(a, a, this.units, b.m); // aᴸ = softmax(zᴸ)
    else this.f.forward(a, a, a.length); // a = f(z), in place
    return a;
  }

  backward(x: Float32Array, dy: Float32Array, b: Cols, grads: boolean, needDx: boolean): Float32Array | null {
    const n = size(this.input);
    const a = this.buf.get(b, 'a', this.units);
    // δ = ∂C/∂z: an output layer's comes in as is (BP1, from the cost); a hidden one's is
    // BP2: δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f′(zˡ), the layer above having passed down (wˡ⁺¹)ᵀ δˡ⁺¹ as dy
    const delta = this.buf.get(b, 'delta', this.units);
    delta.set(dy);
    if (!this.isOutput) (this.f as Activation).backward(delta, a, delta.length);
    this.probe?.('delta', delta);
    const d = this.buf.matrix(this.units, b.m, delta, 'col');
    // BP3: ∂C/∂b = δ, and BP4: ∂C/∂w = δ·aᵀ, summed over the samples by the products themselves
    if (grads) denseGradients(this.gb, this.gw, d, this.buf.matrix(n, b.m, x, 'col'));
    if (!needDx) return null;
    const dx = this.buf.get(b, 'dx', n);
    errorBelow(this.buf.matrix(n, b.m, dx, 'col'), this.w, d); // wᵀδ, the error for the layer below
    return dx;
  }
}
