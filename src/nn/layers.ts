// nn/layers.ts: the layers every network here is made of, each a forward and
// a backward pass side by side, and the LayerStack that runs them. The
// fully-connected network of chapters 1–3 (nn/network.ts) is a stack of Dense
// layers; the convolutional nets of chapter 6 (network3.py) add Conv and Pool.
// A mini-batch of m samples is stored one sample after the other (each
// sample's C×H×W values contiguous, i.e. n × m column-major for a dense layer),
// so some samples of a batch are again such a batch: a view, no copy.
// Convolutions are im2col + one gemm, so the WebAssembly kernels apply to them
// as to everything else. Worker threads (nn/threads.ts) split a step of a
// fully-connected stack by samples and then by neurons (bit-identical for any
// thread count), and train a convolutional one data-parallel on replicas (the
// end of this file).

import { col2im, im2col, maxPool2Backward, maxPool2Forward } from '../kernels/conv.js';
import { Matrix } from '../tensor/matrix.js';
import { argmaxCols, matmul } from '../tensor/ops.js';
import { dropoutGradientScale, ruleText, stepParams, updateAll, type ParamSegment, type UpdateRule } from './update.js';
import { gatherBatch, type LabelledImages } from '../data/dataset.js';
import { Classifier, type BatchBuffers } from './classifier.js';
import { dropBackward, dropForward, drawMask } from './dropout.js';
import { denseGradients, errorBelow, weightedInput } from './dense.js';
import { activations, softmaxColumns, type Activation } from './activations.js';
import { CrossEntropyCost, LogLikelihoodCost, type Cost } from './costs.js';
import { parseLayers, shapeText, type LayerSpec, type Shape } from './layer-spec.js';
import type { Rng } from '../rng.js';
import { defaultBackend, type Backend } from '../backend.js';

/** Receives one line per tensor when shapes are being traced (--debug-shapes). */
export type ShapeTrace = (line: string) => void;

/** [from, to) of n items for part t of T: as even as can be, in order. */
export function part(n: number, t: number, T: number): [number, number] {
  return [Math.floor((t * n) / T), Math.floor(((t + 1) * n) / T)];
}

const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** 12 → "¹²": the book's layer superscripts. */
export function sup(n: number): string {
  return String(n).replace(/\d/g, (d) => SUPERSCRIPTS[Number(d)]);
}

const size = (s: Shape) => s.c * s.h * s.w;

/**
 * Which samples of a mini-batch of `full` a pass works on: j0 … j0 + m − 1.
 * All of them, or one thread's share; each layer's arrays for a share are
 * views into its arrays for the whole batch.
 */
export interface Cols {
  readonly full: number;
  readonly j0: number;
  readonly m: number;
}

export interface Layer {
  readonly describe: string;
  readonly input: Shape;
  readonly output: Shape;
  readonly paramCount: number;
  /** The first weightCount of its parameters are weights (L2 decays them), the rest biases. */
  readonly weightCount: number;
  /** Its name in shape traces: conv1, pool1, fc1, …; set by LayerStack. */
  name: string;
  /** Its arrays for each batch size (null: it has none). */
  readonly buf: Buffers | null;
  /** --debug-shapes: the forward step and the backward step for m samples (lines; '' for none); `needDx`: whether it passes an error down. */
  traceForward(m: number, train: boolean): string;
  traceBackward(m: number, needDx: boolean): string;
  /** Points the layer's weights and gradients at its part of the network's buffers. */
  bind(params: Float32Array, grads: Float32Array): void;
  /** Draws the initial weights (N(0, 1/fan-in), as network3.py's scale) and biases (N(0, 1)). */
  init(rng: Rng): void;
  /** The outputs for the samples b (an array the layer owns, overwritten by the next call for the same samples). */
  forward(x: Float32Array, b: Cols, train: boolean, rng: Rng | null): Float32Array;
  /**
   * Given ∂C/∂output, fills the gradients (unless `grads` is false) and returns
   * ∂C/∂input (an array the layer owns), or null when `needDx` is false.
   */
  backward(x: Float32Array, dy: Float32Array, b: Cols, grads: boolean, needDx: boolean): Float32Array | null;
}

/** The backend the layers allocate from (so their gemms run where their arrays live); set by LayerStack. */
let home: Backend | null = null;

/** A layer's arrays per mini-batch size, made on first use in the stack's backend; a share of a batch gets views. */
export class Buffers {
  private readonly byM = new Map<number, Map<string, Float32Array>>();
  private readonly shares = new Map<Cols, Map<string, Float32Array>>();
  private readonly views = new Map<Float32Array, Matrix>();

  constructor(private readonly backend: Backend = home ?? defaultBackend()) {}

  /** Array `name` for the samples b, `per` values for each sample. */
  get(b: Cols, name: string, per: number): Float32Array {
    let set = this.byM.get(b.full);
    if (!set) this.byM.set(b.full, (set = new Map()));
    let a = set.get(name);
    if (!a) set.set(name, (a = this.backend.alloc(per * b.full)));
    if (b.m === b.full) return a;
    let share = this.shares.get(b);
    if (!share) this.shares.set(b, (share = new Map()));
    let v = share.get(name);
    if (!v) share.set(name, (v = a.subarray(b.j0 * per, (b.j0 + b.m) * per)));
    return v;
  }

  /** A Matrix over `data`, made once per array and shape, so a step allocates nothing. */
  matrix(rows: number, cols: number, data: Float32Array, order: 'row' | 'col' = 'row'): Matrix {
    let v = this.views.get(data);
    if (!v || v.rows !== rows || v.cols !== cols || v.order !== order) this.views.set(data, (v = new Matrix(rows, cols, data, order)));
    return v;
  }

  /** Where each array is (for worker threads that share them): [owner, m, name, byte offset, floats]. */
  list(owner: number, into: [number, number, string, number, number][]): void {
    for (const [m, set] of this.byM) for (const [name, a] of set) into.push([owner, m, name, a.byteOffset, a.length]);
  }

  /** A worker thread's side of list(): use `a` as array `name` for batches of m. */
  adopt(m: number, name: string, a: Float32Array): void {
    let set = this.byM.get(m);
    if (!set) this.byM.set(m, (set = new Map()));
    set.set(name, a);
  }
}

const TRANS_B = { transB: true } as const;
const fName = (f: Activation | 'softmax') => (typeof f === 'string' ? f : f.name === 'sigmoid' ? 'σ' : f.name);
const lines = (trace: ShapeTrace, text: string) => {
  if (text) for (const line of text.split('\n')) trace(line);
};

/** Thread t's rows (neurons) of a dense layer, for BP3, BP4 and the update (views, made once). */
interface RowShare {
  readonly delta: Matrix; // rows i0..i1 of δ, all m samples
  readonly nablaW: Matrix; // the same rows of ∇w, ∇b
  readonly nablaB: Matrix;
  readonly w: Float32Array; // the same rows of w and b, their gradients and velocities
  readonly b: Float32Array;
  readonly gw: Float32Array;
  readonly gb: Float32Array;
  readonly vw: Float32Array | null;
  readonly vb: Float32Array | null;
}

/**
 * A fully-connected layer: z = w·a + b, a = f(z), one sample per column (the
 * book's chapter 1). In a fully-connected stack it knows its number in the
 * book's numbering (layer 1 is the input), for the BP1–BP4 printout.
 */
export class Dense implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly paramCount: number;
  readonly weightCount: number;
  name = 'fc';
  /** The book's layer number l (its weights are wˡ), and the next layer's units; 0 outside a fully-connected stack. */
  book = 0;
  above = 0;
  /** Where its parameters start in the stack's buffer (for the velocities). */
  offset = 0;
  /** The dropout layer right below it, if any: its weights step as the book's dropout (update.ts, dropoutGradientScale). */
  dropIn: Dropout | null = null;
  /** w: units × n_in, b: units × 1, and their gradients (views into the stack's buffers). */
  w!: Matrix;
  b!: Matrix;
  gw!: Matrix;
  gb!: Matrix;
  readonly buf = new Buffers();
  private readonly rowShares = new Map<number, RowShare>();

  /** `isOutput`: the last layer, whose error δᴸ comes from the cost (BP1) as is. */
  constructor(readonly input: Shape, readonly units: number, readonly f: Activation | 'softmax', readonly isOutput = false) {
    this.output = { c: units, h: 1, w: 1 };
    this.weightCount = units * size(input);
    this.paramCount = this.weightCount + units;
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
    const scale = 1 / Math.sqrt(this.w.cols);
    for (let i = 0; i < this.w.size; i++) this.w.data[i] = rng.gaussian() * scale;
    for (let i = 0; i < this.b.size; i++) this.b.data[i] = rng.gaussian();
  }

  forward(x: Float32Array, b: Cols): Float32Array {
    const n = size(this.input);
    const a = this.buf.get(b, 'a', this.units);
    const z = this.buf.matrix(this.units, b.m, a, 'col');
    weightedInput(z, this.w, this.buf.matrix(n, b.m, x, 'col'), this.b); // z = w·a + b (one sample per column)
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
    const d = this.buf.matrix(this.units, b.m, delta, 'col');
    // BP3: ∂C/∂b = δ, and BP4: ∂C/∂w = δ·aᵀ, summed over the samples by the products themselves
    if (grads) denseGradients(this.gb, this.gw, d, this.buf.matrix(n, b.m, x, 'col'));
    if (!needDx) return null;
    const dx = this.buf.get(b, 'dx', n);
    errorBelow(this.buf.matrix(n, b.m, dx, 'col'), this.w, d); // wᵀδ, the error for the layer below
    return dx;
  }

  /**
   * Phase 2 of a step on T threads, for thread t (after every thread's
   * backward without gradients): BP3 and BP4 for its rows (neurons), summed
   * over all samples of the batch b, then the update of those rows.
   * Threads own disjoint rows, so nothing is summed across threads.
   */
  stepRows(x: Float32Array, b: Cols, t: number, T: number, rule: UpdateRule, eta: number, velocity: Float32Array | null): void {
    const key = (b.full * 64 + t) * 64 + T; // T ≤ 64
    let r = this.rowShares.get(key);
    if (!r) this.rowShares.set(key, (r = this.rowShare(b, t, T, velocity)));
    if (r.gb.length === 0) return;
    denseGradients(r.nablaB, r.nablaW, r.delta, this.buf.matrix(size(this.input), b.full, x, 'col')); // BP3, BP4
    stepParams(rule, r.w, r.gw, r.vw, eta, b.full / dropoutGradientScale(this.dropIn), true);
    stepParams(rule, r.b, r.gb, r.vb, eta, b.full, false);
  }

  private rowShare(b: Cols, t: number, T: number, velocity: Float32Array | null): RowShare {
    const n = size(this.input);
    const [i0, i1] = part(this.units, t, T);
    const k = Math.max(i1 - i0, 1); // an empty share keeps 1×… views it never uses (gb is empty)
    const delta = this.buf.get(b, 'delta', this.units);
    const v = (from: number, to: number) => (velocity ? velocity.subarray(this.offset + from, this.offset + to) : null);
    return {
      delta: Matrix.view(delta.subarray(Math.min(i0, this.units - 1)), k, b.full, 1, this.units),
      nablaW: new Matrix(k, n, this.gw.data.subarray(i0 * n, (i0 + k) * n)),
      nablaB: new Matrix(k, 1, this.gb.data.subarray(i0, i0 + k)),
      w: this.w.data.subarray(i0 * n, i1 * n),
      b: this.b.data.subarray(i0, i1),
      gw: this.gw.data.subarray(i0 * n, i1 * n),
      gb: this.gb.data.subarray(i0, i1),
      vw: v(i0 * n, i1 * n),
      vb: v(this.weightCount + i0, this.weightCount + i1),
    };
  }
}

/** A convolutional layer: F feature maps, k×k kernels over all input channels, stride 1, valid. */
export class Conv implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly paramCount: number;
  readonly weightCount: number;
  name = 'conv';
  w!: Matrix; // F × (C·k·k)
  b!: Float32Array; // F
  private gw!: Matrix;
  private gb!: Float32Array;
  readonly buf = new Buffers();

  constructor(readonly input: Shape, readonly maps: number, readonly k: number, readonly f: Activation) {
    this.output = { c: maps, h: input.h - k + 1, w: input.w - k + 1 };
    this.weightCount = maps * input.c * k * k;
    this.paramCount = this.weightCount + maps;
    this.describe = `conv ${maps} ${k}x${k} ${f.name}`;
  }

  traceForward(): string {
    const { c, h, w } = this.input;
    const P = this.output.h * this.output.w;
    return `${this.name}  W (${this.maps}×${c}×${this.k}×${this.k}) ∗ x (${c}×${h}×${w}) + b (${this.maps}), ${fName(this.f)} → (${shapeText(this.output)})` +
      `  [im2col: W (${this.maps}×${c * this.k * this.k}) · patches (${c * this.k * this.k}×${P}·m)]`;
  }

  traceBackward(_m: number, needDx: boolean): string {
    const { c } = this.input;
    const down = needDx ? `; ∂C/∂x = col2im(Wᵀδ) → (${shapeText(this.input)})` : ' (the image needs no error)';
    return `${this.name}  δ = ∂C/∂a ⊙ ${fName(this.f)}′(z) (${shapeText(this.output)}); ∇b (${this.maps}); ∇W = δ · patchesᵀ (${this.maps}×${c}×${this.k}×${this.k})${down}`;
  }

  bind(params: Float32Array, grads: Float32Array): void {
    const n = this.input.c * this.k * this.k;
    this.w = new Matrix(this.maps, n, params.subarray(0, this.maps * n));
    this.b = params.subarray(this.maps * n, this.paramCount);
    this.gw = new Matrix(this.maps, n, grads.subarray(0, this.maps * n));
    this.gb = grads.subarray(this.maps * n, this.paramCount);
  }

  init(rng: Rng): void {
    const scale = 1 / Math.sqrt(this.w.cols);
    for (let i = 0; i < this.w.size; i++) this.w.data[i] = rng.gaussian() * scale;
    for (let i = 0; i < this.b.length; i++) this.b[i] = rng.gaussian();
  }

  /** Its patches and gemm output are laid out by position, not sample by sample, so it works on whole batches only. */
  private whole(b: Cols): number {
    if (b.m !== b.full) throw new Error(`${this.name}: a convolution runs on whole mini-batches (threads give each replica its own)`);
    return b.m;
  }

  forward(x: Float32Array, b: Cols): Float32Array {
    const m = this.whole(b);
    const { c: C, h: H, w: W } = this.input;
    const P = this.output.h * this.output.w;
    const rows = C * this.k * this.k;
    const cols = this.buf.get(b, 'cols', rows * P);
    im2col(cols, x, m, C, H, W, this.k);
    const z = this.buf.get(b, 'z', this.maps * P); // F × (m·P)
    matmul(this.buf.matrix(this.maps, m * P, z), this.w, this.buf.matrix(rows, m * P, cols));
    const a = this.buf.get(b, 'a', this.maps * P); // sample by sample: F maps each
    for (let f = 0; f < this.maps; f++) {
      const bf = this.b[f];
      for (let s = 0; s < m; s++) {
        const from = f * m * P + s * P;
        const to = (s * this.maps + f) * P;
        for (let p = 0; p < P; p++) a[to + p] = z[from + p] + bf;
      }
    }
    this.f.forward(a, a, a.length);
    return a;
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, grads: boolean, needDx: boolean): Float32Array | null {
    const m = this.whole(b);
    const { c: C, h: H, w: W } = this.input;
    const P = this.output.h * this.output.w;
    const rows = C * this.k * this.k;
    const a = this.buf.get(b, 'a', this.maps * P);
    const delta = this.buf.get(b, 'delta', this.maps * P);
    delta.set(dy);
    this.f.backward(delta, a, delta.length); // δ = ∂C/∂a ⊙ f′(z)
    // back to the gemm's layout, F × (m·P); ∇b sums each map's δ
    const dz = this.buf.get(b, 'dz', this.maps * P);
    for (let f = 0; f < this.maps; f++) {
      let sum = 0;
      for (let s = 0; s < m; s++) {
        const from = (s * this.maps + f) * P;
        const to = f * m * P + s * P;
        for (let p = 0; p < P; p++) {
          dz[to + p] = delta[from + p];
          sum += delta[from + p];
        }
      }
      if (grads) this.gb[f] = sum;
    }
    const dZ = this.buf.matrix(this.maps, m * P, dz);
    if (grads) matmul(this.gw, dZ, this.buf.matrix(rows, m * P, this.buf.get(b, 'cols', rows * P)), TRANS_B); // ∇w = δ·colsᵀ
    if (!needDx) return null;
    const dcols = this.buf.get(b, 'dcols', rows * P);
    errorBelow(this.buf.matrix(rows, m * P, dcols), this.w, dZ); // wᵀδ, per patch: a dense layer's, over patches
    const dx = this.buf.get(b, 'dx', C * H * W);
    col2im(dx, dcols, m, C, H, W, this.k);
    return dx;
  }
}

/** 2×2 max-pooling, stride 2. */
export class Pool implements Layer {
  readonly describe = 'pool 2';
  readonly output: Shape;
  readonly paramCount = 0;
  readonly weightCount = 0;
  name = 'pool';
  readonly buf = new Buffers();
  private readonly where = new Map<number, Int32Array>();

  constructor(readonly input: Shape) {
    this.output = { c: input.c, h: input.h / 2, w: input.w / 2 };
  }

  bind(): void {}
  init(): void {}

  traceForward(): string {
    return `${this.name}  max over 2×2 windows (${shapeText(this.input)}) → (${shapeText(this.output)})`;
  }

  traceBackward(): string {
    return `${this.name}  each δ (${shapeText(this.output)}) goes to its window's maximum → (${shapeText(this.input)})`;
  }

  forward(x: Float32Array, b: Cols): Float32Array {
    const y = this.buf.get(b, 'y', size(this.output));
    let where = this.where.get(b.full);
    if (!where) this.where.set(b.full, (where = new Int32Array(size(this.output) * b.full)));
    maxPool2Forward(y, where, x, b.m, this.input.c, this.input.h, this.input.w);
    return y;
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, _grads: boolean, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const dx = this.buf.get(b, 'dx', size(this.input));
    maxPool2Backward(dx, dy, this.where.get(b.full)!, dy.length, dx.length);
    return dx;
  }
}

/** Inverted dropout: while training, each value is dropped with probability p, the others scaled by 1/(1 − p). */
export class Dropout implements Layer {
  readonly output: Shape;
  readonly paramCount = 0;
  readonly weightCount = 0;
  name = 'dropout';
  /** In a fully-connected stack: the book's number of the layer whose activations it drops. */
  book = 0;
  readonly buf = new Buffers();

  /** p may change between runs (the fully-connected network's --dropout); 0 passes everything through. */
  constructor(readonly input: Shape, public p: number) {
    this.output = input;
  }

  get describe(): string {
    return `dropout ${this.p}`;
  }

  bind(): void {}
  init(): void {}

  traceForward(m: number, train: boolean): string {
    if (!train || (this.book && this.p === 0)) return '';
    if (this.book) return `dropout  a${sup(this.book)} ⊙ mask / (1 − p), p = ${this.p} → (${size(this.input)}×${m})`;
    return `${this.name}  a ⊙ mask / (1 − p), p = ${this.p} (training only) → (${shapeText(this.output)})`;
  }

  traceBackward(m: number): string {
    if (this.book) return this.p === 0 ? '' : `dropout  (W${sup(this.book + 1)}ᵀδ${sup(this.book + 1)}) ⊙ mask / (1 − p): a dropped unit gets no error → (${size(this.input)}×${m})`;
    return `${this.name}  δ ⊙ mask / (1 − p) → (${shapeText(this.input)})`;
  }

  /** While training, with rng: draws the masks for the samples b; without: uses those drawn beforehand (threads: drawMasks). */
  forward(x: Float32Array, b: Cols, train: boolean, rng: Rng | null): Float32Array {
    if (!train || this.p === 0) return x;
    const per = size(this.input);
    const y = this.buf.get(b, 'y', per);
    dropForward(y, this.buf.get(b, 'keep', per), x, x.length, this.p, rng);
    return y;
  }

  /** The masks of the samples b, drawn in order from rng (what forward with rng would draw), for a later forward without it. */
  drawMasks(b: Cols, rng: Rng): void {
    if (this.p === 0) return;
    const per = size(this.input);
    drawMask(this.buf.get(b, 'keep', per), per * b.m, this.p, rng);
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, _grads: boolean, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    if (this.p === 0) return dy;
    // a dropped unit passed nothing on, so it gets no error; a kept one was scaled by 1/(1 − p)
    const per = size(this.input);
    const dx = this.buf.get(b, 'dx', per);
    dropBackward(dx, this.buf.get(b, 'keep', per), dy, dy.length);
    return dx;
  }
}

/** Where a layer stack's arrays are in shared memory (byte offsets), so worker threads can attach to them. */
export interface StackLayout {
  /** 'rows': every thread works on the one stack (fully-connected: samples, then neurons); 'replicas': each on its own (convolutions). */
  mode: 'rows' | 'replicas';
  spec: string;
  image: Shape;
  params: number;
  paramCount: number;
  velocity: number | null;
  /** Each replica's gradient buffer, replica 0 (thread 0) first; one in 'rows' mode. */
  grads: number[];
  /** 'replicas': each replica's allocations in order (byte offset, floats), replayed by its worker. */
  replay: [number, number][][];
  /** 'rows': every array of the stack: [layer (−1: the stack's own), m, name, byte offset, floats]. */
  buffers: [number, number, string, number, number][];
  ms: number[];
  evalWidth: number;
  rule: UpdateRule;
  /** For a fully-connected Network: what rebuilds it (nn/network.ts). */
  network?: { sizes: number[]; cost: Cost['name']; activation: Activation['name']; dropout: number };
}

/** How a layer stack's weights start (LayerStack.init). */
export type StackInit = 'default' | 'network3';

export interface StackOptions {
  /** Use this array as the parameters (no copy; e.g. a replica sharing thread 0's). */
  params?: Float32Array;
  /** For worker threads: use these arrays as they are. */
  shared?: { params: Float32Array; grads: Float32Array; velocity?: Float32Array | null };
  /** The cost (default: log-likelihood for a softmax output, cross-entropy for a sigmoid one). */
  cost?: Cost;
  /** Number the dense layers as the book does, in traces (the fully-connected Network). */
  book?: boolean;
}

/** A stack of layers, with one parameter buffer and one gradient buffer. */
export class LayerStack extends Classifier {
  readonly layers: Layer[] = [];
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** The layer description, normalised ("conv 20 5x5 relu, pool 2, …, softmax 10"). */
  readonly spec: string;
  /** Values per sample in (C·H·W) and out (classes). */
  readonly inputSize: number;
  readonly classes: number;
  /** Samples fed forward at a time when evaluating: 1000, or 20 with convolutions (a conv layer's patches for 100 images would take ~30 MiB of the WebAssembly memory). */
  protected readonly evalBatch: number;
  /** Where the arrays live, and so which kernels run (backend.ts). */
  readonly backend: Backend;
  /** Every layer is dense (or dropout): threads split its steps by samples, then neurons. */
  readonly fullyConnected: boolean;
  /** The stack's own arrays: inputs x, desired outputs y, the output error δᴸ. */
  protected readonly own: Buffers;
  private readonly book: boolean;
  private costFn: Cost;
  private readonly segments: ParamSegment[];
  private lastOut: Float32Array | null = null;
  private readonly inputs: Float32Array[] = [];
  private readonly batches = new Map<number, BatchBuffers>();
  private readonly shares = new Map<number, Cols>();

  constructor(spec: string | LayerSpec[], readonly image: Shape = { c: 1, h: 28, w: 28 }, backend?: Backend, options: StackOptions = {}) {
    super();
    const layers = typeof spec === 'string' ? parseLayers(spec, image).layers : spec;
    this.backend = backend ?? defaultBackend();
    this.book = options.book ?? false;
    home = this.backend;
    let shape = image;
    const counts: Record<string, number> = {};
    for (const l of layers) {
      let layer: Layer;
      if (l.kind === 'conv') layer = new Conv(shape, l.maps, l.size, activations[l.activation]);
      else if (l.kind === 'pool') layer = new Pool(shape);
      else if (l.kind === 'fc') layer = new Dense(shape, l.units, activations[l.activation]);
      else if (l.kind === 'dropout') layer = new Dropout(shape, l.p);
      else if (l.kind === 'softmax') layer = new Dense(shape, l.units, 'softmax', true);
      else layer = new Dense(shape, l.units, activations.sigmoid, true);
      const kind = l.kind;
      counts[kind] = (counts[kind] ?? 0) + 1;
      layer.name = l.kind === 'softmax' || l.kind === 'sigmoid' ? 'output' : `${kind}${counts[kind]}`;
      this.layers.push(layer);
      shape = layer.output;
    }
    this.own = new Buffers();
    home = null;
    this.spec = this.layers.filter((l) => !(l instanceof Dropout && l.p === 0)).map((l) => l.describe).join(', ');
    this.inputSize = size(image);
    this.classes = size(shape);
    this.fullyConnected = this.layers.every((l) => l instanceof Dense || l instanceof Dropout);
    this.evalBatch = this.fullyConnected ? 1000 : 20;
    const dense = this.layers.filter((l): l is Dense => l instanceof Dense);
    if (this.book && this.fullyConnected) {
      dense.forEach((d, i) => {
        d.book = i + 2;
        d.above = dense[i + 1]?.units ?? 0;
      });
      this.layers.forEach((l, i) => {
        if (l instanceof Dropout) l.book = (this.layers[i - 1] as Dense).book;
      });
    }
    this.costFn = options.cost ?? (this.softmax ? LogLikelihoodCost : CrossEntropyCost);
    this.checkCost(this.costFn);
    const count = this.layers.reduce((s, l) => s + l.paramCount, 0);
    const given = options.shared?.params ?? options.params;
    if (given && given.length !== count) throw new RangeError(`LayerStack: ${this.spec} has ${count} parameters; got ${given.length}`);
    this.params = given ?? this.backend.alloc(count);
    this.grads = options.shared?.grads ?? this.backend.alloc(count);
    this.velocity = options.shared?.velocity ?? null;
    // each layer takes its part of the two buffers; a layer right after a dropout layer
    // steps its weights as the book's dropout would (update.ts, dropoutGradientScale)
    this.segments = [];
    let offset = 0;
    this.layers.forEach((l, i) => {
      l.bind(this.params.subarray(offset, offset + l.paramCount), this.grads.subarray(offset, offset + l.paramCount));
      const below = this.layers[i - 1];
      const dropIn = below instanceof Dropout ? below : null;
      if (l instanceof Dense) {
        l.offset = offset;
        l.dropIn = dropIn;
      }
      if (l.paramCount > 0) this.segments.push({ weights: l.weightCount, params: l.paramCount, dropIn });
      offset += l.paramCount;
    });
  }

  /** The output layer is a softmax (with the log-likelihood cost) or a sigmoid. */
  get softmax(): boolean {
    const last = this.layers[this.layers.length - 1];
    return last instanceof Dense && last.f === 'softmax';
  }

  /** The output layer's kind, which goes with the cost. */
  get output(): 'sigmoid' | 'softmax' {
    return this.softmax ? 'softmax' : 'sigmoid';
  }

  /** The cost, whose BP1 gives the output error: any that goes with the output layer (quadratic or cross-entropy for a sigmoid, log-likelihood for a softmax). */
  get cost(): Cost {
    return this.costFn;
  }

  set cost(c: Cost) {
    this.checkCost(c);
    this.costFn = c;
  }

  get costName(): Cost['name'] {
    return this.costFn.name;
  }

  private checkCost(c: Cost): void {
    if (c.output !== this.output) throw new RangeError(`${c.name} needs a ${c.output} output layer; this network's is ${this.output}`);
  }

  /**
   * Draws every layer's initial weights and biases, layer by layer (weights,
   * then biases). 'default': weights N(0, 1/fan-in), biases N(0, 1).
   * 'network3': network3.py's: weights N(0, 1/fan-out) (a convolution's
   * fan-out is maps·k², divided by 4 when 2×2 pooling follows), biases
   * N(0, 1), and a softmax output layer all zeros.
   */
  init(rng: Rng, scheme: StackInit = 'default'): void {
    if (scheme === 'default') {
      for (const l of this.layers) l.init(rng);
      return;
    }
    this.layers.forEach((l, i) => {
      let w: Float32Array;
      let b: Float32Array;
      let fanOut: number;
      if (l instanceof Dense) [w, b, fanOut] = [l.w.data, l.b.data, l.units];
      else if (l instanceof Conv) [w, b, fanOut] = [l.w.data, l.b, (l.maps * l.k * l.k) / (this.layers[i + 1] instanceof Pool ? 4 : 1)];
      else return;
      if (l instanceof Dense && l.f === 'softmax') {
        w.fill(0);
        b.fill(0);
        return;
      }
      const scale = Math.sqrt(1 / fanOut);
      for (let j = 0; j < w.length; j++) w[j] = rng.gaussian() * scale;
      for (let j = 0; j < b.length; j++) b[j] = rng.gaussian();
    });
  }

  /** Samples j0 … j0 + m − 1 of a batch of `full`: thread t of T's share (made once). */
  protected share(full: number, t: number, T: number): Cols {
    const key = (full * 64 + t) * 64 + T;
    let b = this.shares.get(key);
    if (!b) {
      const [j0, j1] = part(full, t, T);
      this.shares.set(key, (b = { full, j0, m: j1 - j0 }));
    }
    return b;
  }

  /** A whole batch of m. */
  protected whole(m: number): Cols {
    return this.share(m, 0, 1);
  }

  /** The input and desired-output matrices (inputSize × m and classes × m, one sample per column) for a batch of m. */
  protected batch(m: number): BatchBuffers {
    let b = this.batches.get(m);
    if (!b) {
      const all = this.whole(m);
      const x = new Matrix(this.inputSize, m, this.own.get(all, 'x', this.inputSize), 'col');
      const y = new Matrix(this.classes, m, this.own.get(all, 'y', this.classes), 'col');
      this.batches.set(m, (b = { x, y, predictions: new Uint8Array(m) }));
    }
    return b;
  }

  /** The outputs (classes × m, one sample per column) for m samples x (each C·H·W contiguous). */
  forward(x: Float32Array, m: number, train = false, rng: Rng | null = null, trace?: ShapeTrace): Float32Array {
    return this.run(x, this.whole(m), train, rng, trace);
  }

  /** Feedforward of the samples b through every layer; what each layer saw is kept for the backward pass. */
  private run(x: Float32Array, b: Cols, train: boolean, rng: Rng | null, trace?: ShapeTrace): Float32Array {
    let a = x;
    this.inputs.length = 0;
    if (trace && !this.book) trace(`input  x: m = ${b.m} samples of (${shapeText(this.image)}), each one contiguous`);
    for (const l of this.layers) {
      this.inputs.push(a);
      if (trace) lines(trace, l.traceForward(b.m, train));
      a = l.forward(a, b, train, rng);
    }
    this.lastOut = a;
    return a;
  }

  /**
   * Backpropagation after run(): BP1 gives the output error from the cost,
   * then each layer, top down, fills its gradients (BP3, BP4; not when
   * `grads` is false) and passes the error down (BP2). The input layer's
   * error is never needed, so never computed.
   */
  private back(out: Float32Array, y: Float32Array, b: Cols, grads: boolean, trace?: ShapeTrace): void {
    const d = this.own.get(b, 'delta', this.classes);
    this.cost.delta(d, out, y, b.m * this.classes); // BP1: δᴸ = ∇ₐC ⊙ σ′(zᴸ) (aᴸ − y with cross-entropy or softmax)
    if (trace && this.book) {
      const L = sup(this.layers.filter((l) => l instanceof Dense).length + 1);
      trace(`BP1  δ${L} = ${this.cost.bp1.replace(/ᴸ/g, L)} (${this.cost.name}) → (${this.classes}×${b.m})`);
    }
    let dy: Float32Array | null = d;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (trace) lines(trace, this.layers[i].traceBackward(b.m, i > 0));
      dy = this.layers[i].backward(this.inputs[i], dy!, b, grads, i > 0);
    }
  }

  /** The gradients for the outputs `out` of forward(x, m, true) against y (classes × m): for tests and curious readers. */
  backward(out: Float32Array, y: Float32Array, m: number, trace?: ShapeTrace): void {
    this.back(out, y, this.whole(m), true, trace);
  }

  /** With dropout layers that drop something. */
  private get dropping(): boolean {
    for (const l of this.layers) if (l instanceof Dropout && l.p > 0) return true; // a plain loop: asked every step
    return false;
  }

  /**
   * Backpropagation for a mini-batch: the gradients (in `grads`) of the cost
   * summed over the m columns of x (inputSize × m) against the desired
   * outputs y (classes × m). network.py does this one sample at a time and
   * adds up; here the sum over samples falls out of the matrix products.
   */
  backprop(x: Matrix, y: Matrix, trace?: ShapeTrace): void {
    const m = x.cols;
    if (y.rows !== this.classes || y.cols !== m) {
      throw new RangeError(`backprop: y must be ${this.classes}×${m} for x ${x.shape}; got ${y.shape}`);
    }
    this.checkInput('backprop', x);
    if (this.dropping && !this.dropoutRng) throw new Error('backprop: dropout needs net.dropoutRng to draw its masks');
    if (trace && this.book) trace(`input    a¹ = x (${x.shape}): ${m} samples as columns; y (${y.shape}) desired outputs`);
    const b = this.whole(m);
    const out = this.run(this.columns(x, this.input(m)), b, true, this.dropoutRng, trace);
    this.back(out, this.columns(y, this.target(m)), b, true, trace);
  }

  /** x's values with one sample after the other: its own array, or copied into `into` if x is stored otherwise. */
  protected columns(x: Matrix, into: Matrix): Float32Array {
    if (x === into || (x.order === 'col' && x.data.length === x.size) || x.cols === 1) return x.data;
    for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) into.set(i, j, x.get(i, j));
    return into.data;
  }

  protected checkInput(op: string, x: Matrix): void {
    if (x.rows !== this.inputSize) {
      throw new RangeError(`${op}: x must have ${this.inputSize} rows (one per input neuron); got ${x.shape}`);
    }
  }

  /**
   * One step of mini-batch gradient descent on the m columns of x and y
   * (network.py's update_mini_batch): backprop, then w ← w − (η/m)·∇w and
   * b ← b − (η/m)·∇b (with L2 and momentum as `rule` says) over the one parameter buffer.
   */
  updateMiniBatch(x: Matrix, y: Matrix, eta: number, trace?: ShapeTrace): void {
    this.backprop(x, y, trace);
    const m = x.cols;
    this.step(eta, m);
    if (trace) trace(`SGD  ${ruleText(this.rule)}, b ← b − (η/m)·∇b with η = ${eta}, m = ${m}: ${this.params.length} parameters in one buffer${this.droppedText()}`);
  }

  /** For the SGD trace line: which weights step as after the book's dropout. */
  private droppedText(): string {
    const names: string[] = [];
    this.layers.forEach((l, i) => {
      const below = this.layers[i - 1];
      if ((l instanceof Dense || l instanceof Conv) && below instanceof Dropout && below.p > 0) {
        names.push(l instanceof Dense && l.book ? `W${sup(l.book)}` : `${l.name}'s W`);
      }
    });
    return names.length ? `; after dropout, ${names.join(', ')} step${names.length === 1 ? 's' : ''} with (1 − p)²·∇w (the book's dropout)` : '';
  }

  /** --debug-shapes with replicas on threads: the shapes of one step on x and y (forward, backprop), printed, with no update. */
  traceStep(x: Matrix, y: Matrix, trace: ShapeTrace): void {
    // no masks drawn: the run's generator must draw exactly what the threads' steps draw
    const b = this.whole(x.cols);
    this.back(this.run(this.columns(x, this.input(x.cols)), b, true, null, trace), this.columns(y, this.target(x.cols)), b, true, trace);
    trace(`SGD  ${ruleText(this.rule)}, b ← b − (η/m)·∇b, m = ${x.cols}: ${this.params.length} parameters in one buffer; each thread steps its part of the samples, then of the parameters`);
  }

  /** The update of every parameter from the gradients of a mini-batch of m (after backprop): nn/update.ts's rule. */
  private step(eta: number, m: number): void {
    if (this.rule.momentum && !this.velocity) this.velocity = this.backend.alloc(this.params.length);
    updateAll(this.rule, this.params, this.grads, this.velocity, this.segments, eta, m);
  }

  /** Σw² over the weights (not the biases), for the L2 term of the cost. */
  weightSquares(): number {
    let sum = 0;
    let offset = 0;
    for (const l of this.layers) {
      for (let i = offset; i < offset + l.weightCount; i++) sum += this.params[i] * this.params[i];
      offset += l.paramCount;
    }
    return sum;
  }

  protected infer(x: Matrix): Float32Array {
    return this.forward(x.data, x.cols);
  }

  private readonly outViews = new Map<number, Matrix>();
  protected outputMatrix(m: number): Matrix {
    let v = this.outViews.get(m);
    if (!v || v.data !== this.lastOut) this.outViews.set(m, (v = new Matrix(this.classes, m, this.lastOut!, 'col')));
    return v;
  }

  protected costSum(out: Float32Array, y: Float32Array): number {
    return this.cost.fn(out, y, out.length);
  }

  /** After predict() or forward(…, 1): what layer i handed on for that one sample (a copy), e.g. conv1's feature maps. */
  layerOutput(i: number): Float32Array {
    const next = i + 1 < this.layers.length ? this.inputs[i + 1] : null;
    if (!next) throw new RangeError(`layerOutput: layer ${i} is the output; use predict()`);
    return next.slice(0, size(this.layers[i].output));
  }

  /** One line per layer: what it is and the shape it hands on ("conv 20 5x5 relu → 20×24×24"). */
  shapes(): string[] {
    return this.layers.map((l) => `${l.describe} → ${shapeText(l.output)}`);
  }

  // ---- worker threads (nn/threads.ts). Each step has two phases:
  // fully-connected ('rows'): every thread works on this one stack's arrays (shared memory).
  //   Phase 1: thread t feeds forward and backpropagates (BP1, BP2) its share of the samples;
  //   phase 2: it computes BP3 and BP4 for its share of each layer's rows (neurons), summed over
  //   all samples, and updates those rows. Nothing is summed across threads, so the weights are
  //   bit-identical for any thread count (and equal to updateMiniBatch's).
  // convolutional ('replicas'): thread t feeds its share of the samples through its own replica
  //   (own arrays and gradients; the parameters shared), then sums every replica's gradients, in
  //   replica order, for its share of each parameter array and updates that share. Deterministic
  //   for a given T; another T sums the mini-batch in other parts, so rounds differently.

  /** Every replica's gradient buffer, this one's included, in replica order (set when threads start). */
  private peers: Float32Array[] | null = null;
  private readonly ranges = new Map<string, { w: Float32Array; g: Float32Array; v: Float32Array | null; from: number; to: number; decay: boolean; dropIn: { p: number } | null }[]>();
  private predictions: Uint8Array | null = null;

  /** Thread 0's view of the replicas (replicas[0] is this stack), to draw their dropout masks. */
  private replicas: LayerStack[] = [this];

  /**
   * Thread 0, before a step of m on T threads with dropout: draws every mask of
   * the step from rng in the order one thread would (layer by layer, sample by
   * sample) into the arrays each thread's forward pass then uses, so the masks
   * are those of a one-thread run.
   */
  drawMasks(m: number, T: number, rng: Rng): void {
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      if (!(l instanceof Dropout) || l.p === 0) continue;
      if (this.fullyConnected) {
        l.drawMasks(this.whole(m), rng); // every thread reads its samples' part of these
        continue;
      }
      for (let t = 0; t < T; t++) {
        const n = Math.floor(((t + 1) * m) / T) - Math.floor((t * m) / T); // part(m, t, T)'s size, without making a pair each step
        const replica = this.replicas[t];
        if (n > 0) (replica.layers[i] as Dropout).drawMasks(replica.whole(n), rng);
      }
    }
  }

  /** Whether a step draws dropout masks. */
  get drops(): boolean {
    return this.dropping;
  }

  /** Samples each thread evaluates at a time. */
  get threadEvalWidth(): number {
    return this.fullyConnected ? 500 : 20;
  }

  /** Phase 1 for thread t: forward and backprop its share of the mini-batch order[start .. start + m − 1]. */
  stepColumns(m: number, t: number, T: number, set: LabelledImages, order: Uint32Array, start: number): void {
    if (!this.fullyConnected) {
      this.replicaColumns(m, t, T, set, order, start);
      return;
    }
    const b = this.share(m, t, T);
    if (b.m === 0) return;
    const x = this.own.get(b, 'x', this.inputSize);
    const y = this.own.get(b, 'y', this.classes);
    gatherBatch(x, y, this.classes, set, order, start + b.j0, b.m);
    this.back(this.run(x, b, true, null), y, b, false); // BP1, BP2 for its samples; BP3, BP4 wait for phase 2
  }

  /** Phase 2 for thread t, after every thread's phase 1. */
  stepRows(m: number, t: number, T: number, eta: number): void {
    if (!this.fullyConnected) {
      this.replicaRows(m, t, T, eta);
      return;
    }
    const b = this.whole(m);
    let x = this.own.get(b, 'x', this.inputSize); // what each dense layer saw: the input, the layer below's activations, or those after dropout
    for (const l of this.layers) {
      if (l instanceof Dense) {
        l.stepRows(x, b, t, T, this.rule, eta, this.velocity);
        x = l.buf.get(b, 'a', l.units);
      } else if (l instanceof Dropout && l.p > 0) {
        x = l.buf.get(b, 'y', size(l.input));
      }
    }
  }

  /** Thread t of T's part of evaluate(): samples part(count, t, T), `width` at a time through its own samples of the buffers for T·width. */
  override evaluatePart(data: LabelledImages, t: number, T: number, width: number): number {
    if (!this.fullyConnected) return super.evaluatePart(data, t, T, width);
    const b = this.share(T * width, t, T);
    const x = this.own.get(b, 'x', this.inputSize);
    const [from, to] = part(data.count, t, T);
    if (this.predictions?.length !== width) this.predictions = new Uint8Array(width);
    let correct = 0;
    for (let start = from; start < to; start += width) {
      const m = Math.min(width, to - start); // a last, partial chunk leaves stale columns, never read
      gatherBatch(x, null, 0, data, null, start, m);
      const out = this.run(x, b, false, null);
      argmaxCols(this.predictions, this.own.matrix(this.classes, width, out, 'col'));
      for (let j = 0; j < m; j++) if (this.predictions[j] === data.labels[start + j]) correct++;
    }
    return correct;
  }

  /** What rebuilds this stack in a worker (a Network overrides it). */
  protected rebuild(): StackLayout['network'] {
    return undefined;
  }

  /**
   * Thread 0: makes every array the threads will use, in this stack's (shared)
   * memory, and returns where they are, so each worker can attach
   * (LayerStack.attach). `ms`: the mini-batch sizes of the run; `evalWidth`:
   * samples per thread per evaluation batch (0: no evaluation on threads).
   */
  sharedLayout(ms: number[], T: number, evalWidth: number): StackLayout {
    if (this.rule.momentum && !this.velocity) this.velocity = this.backend.alloc(this.params.length);
    const base = {
      spec: this.spec, image: this.image, params: this.params.byteOffset, paramCount: this.params.length,
      velocity: this.velocity?.byteOffset ?? null, ms, evalWidth, rule: { ...this.rule }, network: this.rebuild(),
    };
    if (!this.fullyConnected) return { ...base, mode: 'replicas', ...this.makeReplicas(ms, T, evalWidth), buffers: [] };
    for (const m of ms) {
      const b = this.whole(m);
      const x = this.own.get(b, 'x', this.inputSize);
      const y = this.own.get(b, 'y', this.classes);
      this.back(this.run(x, b, true, null), y, b, false);
    }
    if (evalWidth) this.run(this.own.get(this.whole(T * evalWidth), 'x', this.inputSize), this.whole(T * evalWidth), false, null);
    const buffers: StackLayout['buffers'] = [];
    this.own.list(-1, buffers);
    this.layers.forEach((l, i) => l.buf?.list(i, buffers));
    return { ...base, mode: 'rows', grads: [this.grads.byteOffset], replay: [], buffers };
  }

  /**
   * A worker thread's stack: in 'rows' mode thread 0's own arrays, in
   * 'replicas' mode its replica t. `make` builds the network from the
   * backend and arrays it is given (a Network's sizes, say); by default the
   * layout's layer description.
   */
  static attach(
    layout: StackLayout, t: number, T: number, backend: Backend,
    make: (backend: Backend, options: StackOptions) => LayerStack = (b, o) => new LayerStack(layout.spec, layout.image, b, o),
  ): LayerStack {
    const buffer = backend.sharedBuffer!;
    const floats = (offset: number, n: number) => new Float32Array(buffer, offset, n);
    if (layout.mode === 'rows') {
      const strict: Backend = {
        ...backend,
        alloc: (n) => {
          throw new Error(`threads: thread ${t} needs an array (${n} floats) thread 0 did not make: a mini-batch size the threads were not started for?`);
        },
      };
      const net = make(strict, {
        shared: {
          params: floats(layout.params, layout.paramCount),
          grads: floats(layout.grads[0], layout.paramCount),
          velocity: layout.velocity !== null ? floats(layout.velocity, layout.paramCount) : null,
        },
      });
      net.rule = { ...layout.rule };
      for (const [owner, m, name, offset, n] of layout.buffers) (owner < 0 ? net.own : net.layers[owner].buf!).adopt(m, name, floats(offset, n));
      return net;
    }
    const steps = layout.replay[t];
    let next = 0;
    const replay: Backend = {
      ...backend,
      alloc: (n) => {
        const [offset, count] = steps[next++] ?? [-1, -1];
        if (count !== n) throw new Error(`threads: replica ${t} allocates differently from thread 0 (allocation ${next}: ${n} floats, expected ${count})`);
        return floats(offset, n);
      },
    };
    const net = make(replay, { params: floats(layout.params, layout.paramCount) });
    net.rule = { ...layout.rule };
    if (layout.velocity !== null) net.velocity = floats(layout.velocity, net.params.length);
    net.warm(layout.ms, t, T, layout.evalWidth);
    if (next !== steps.length) throw new Error(`threads: replica ${t} made ${next} arrays; thread 0 made ${steps.length}`);
    net.attachPeers(layout.grads.map((g) => floats(g, net.params.length)));
    return net;
  }

  /** Thread 0, 'replicas': makes the replicas for threads 1 … T − 1 in this stack's memory, recording their allocations. */
  private makeReplicas(ms: number[], T: number, evalWidth: number): { grads: number[]; replay: [number, number][][] } {
    const replicas: LayerStack[] = [this];
    const replay: [number, number][][] = [[]];
    for (let t = 1; t < T; t++) {
      const record: [number, number][] = [];
      const recorder: Backend = {
        ...this.backend,
        alloc: (n) => {
          const view = this.backend.alloc(n);
          record.push([view.byteOffset, n]);
          return view;
        },
      };
      const r = new LayerStack(this.spec, this.image, recorder, { params: this.params });
      r.warm(ms, t, T, evalWidth);
      replicas.push(r);
      replay.push(record);
    }
    this.warm(ms, 0, T, evalWidth);
    this.replicas = replicas;
    this.attachPeers(replicas.map((r) => r.grads));
    return { grads: replicas.map((r) => r.grads.byteOffset), replay };
  }

  /** 'replicas', phase 1: forward and backprop its share of the batch through its own replica, into its own gradients. */
  private replicaColumns(m: number, t: number, T: number, set: LabelledImages, order: Uint32Array, start: number): void {
    const j0 = Math.floor((t * m) / T); // part(m, t, T), without making a pair each step
    const n = Math.floor(((t + 1) * m) / T) - j0;
    if (n === 0) {
      this.grads.fill(0);
      return;
    }
    const b = this.whole(n);
    const x = this.own.get(b, 'x', this.inputSize);
    const y = this.own.get(b, 'y', this.classes);
    gatherBatch(x, y, this.classes, set, order, start + j0, n);
    this.back(this.run(x, b, true, null), y, b, true);
  }

  /** 'replicas', phase 2: sum the replicas' gradients for its share of the parameters, and update that share. */
  private replicaRows(m: number, t: number, T: number, eta: number): void {
    const peers = this.peers!;
    for (const r of this.rangesOf(t, T)) {
      for (let i = r.from; i < r.to; i++) {
        let sum = peers[0][i];
        for (let p = 1; p < peers.length; p++) sum += peers[p][i];
        peers[0][i] = sum;
      }
      stepParams(this.rule, r.w, r.g, r.v, eta, r.decay ? m / dropoutGradientScale(r.dropIn) : m, r.decay);
    }
  }

  /** Thread t's parts of every weight and bias array: views into params, the summed gradients and the velocities, made once. */
  private rangesOf(t: number, T: number) {
    const key = `${t}/${T}`;
    let list = this.ranges.get(key);
    if (list) return list;
    list = [];
    const g = this.peers![0];
    let offset = 0;
    for (const seg of this.segments) {
      for (const [a, b, decay] of [[offset, offset + seg.weights, true], [offset + seg.weights, offset + seg.params, false]] as const) {
        const [i0, i1] = part(b - a, t, T);
        const from = a + i0;
        const to = a + i1;
        list.push({ from, to, decay, dropIn: seg.dropIn ?? null, w: this.params.subarray(from, to), g: g.subarray(from, to), v: this.velocity ? this.velocity.subarray(from, to) : null });
      }
      offset += seg.params;
    }
    this.ranges.set(key, list);
    return list;
  }

  private attachPeers(peers: Float32Array[]): void {
    this.peers = peers;
    this.ranges.clear();
  }

  /** Makes every array replica t uses (its shares of the batch sizes in ms, and the evaluation width), in a fixed order. */
  private warm(ms: number[], t: number, T: number, evalWidth: number): void {
    const sizes: number[] = [];
    for (const m of ms) {
      const [j0, j1] = part(m, t, T);
      if (j1 > j0 && !sizes.includes(j1 - j0)) sizes.push(j1 - j0);
    }
    for (const n of sizes) {
      const b = this.whole(n);
      this.back(this.run(this.own.get(b, 'x', this.inputSize), b, true, null), this.own.get(b, 'y', this.classes), b, true);
    }
    if (evalWidth) this.forward(this.input(evalWidth).data, evalWidth);
  }
}
