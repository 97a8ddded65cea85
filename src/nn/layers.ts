// nn/layers.ts: the layers of a convolutional network (the book's chapter 6,
// network3.py), each a forward and a backward pass side by side, over a
// mini-batch of m samples stored one after the other (each sample's C×H×W
// values contiguous: the same layout as the fully-connected network's
// column-major activations). Convolutions are im2col + one gemm, so the
// WebAssembly kernels apply to them as to everything else.
// A LayerStack trains with the same sgd() as the fully-connected Network
// (nn/sgd.ts); a dense layer's arithmetic (nn/dense.ts), the update rule
// (nn/update.ts), dropout (nn/dropout.ts), the costs and evaluation
// (nn/classifier.ts) are the Network's own, not copies. Worker threads train
// it data-parallel on replicas (the end of this file, and nn/threads.ts).

import { col2im, im2col, maxPool2Backward, maxPool2Forward } from '../kernels/conv.js';
import { Matrix } from '../tensor/matrix.js';
import { matmul } from '../tensor/ops.js';
import { ruleText, stepParams, updateAll, type ParamSegment, type UpdateRule } from './update.js';
import { gatherBatch, type LabelledImages } from '../data/dataset.js';
import { Classifier, type BatchBuffers } from './classifier.js';
import { dropBackward, dropForward } from './dropout.js';
import { denseGradients, errorBelow, weightedInput } from './dense.js';
import { part, type ShapeTrace } from './network.js';
import { activations, softmaxColumns, type Activation } from './activations.js';
import { CrossEntropyCost, LogLikelihoodCost, type Cost } from './costs.js';
import { parseLayers, shapeText, type LayerSpec, type Shape } from './layer-spec.js';
import type { Rng } from '../rng.js';
import { defaultBackend, type Backend } from '../backend.js';

const size = (s: Shape) => s.c * s.h * s.w;

export interface Layer {
  readonly describe: string;
  readonly input: Shape;
  readonly output: Shape;
  readonly paramCount: number;
  /** The first weightCount of its parameters are weights (L2 decays them), the rest biases. */
  readonly weightCount: number;
  /** Its name in shape traces: conv1, pool1, fc1, …; set by LayerStack. */
  name: string;
  /** --debug-shapes: the forward step and the backward step, one line each. */
  traceForward(): string;
  traceBackward(): string;
  /** Points the layer's weights and gradients at its part of the network's buffers. */
  bind(params: Float32Array, grads: Float32Array): void;
  /** Draws the initial weights (N(0, 1/fan-in), as network3.py's scale) and biases (N(0, 1)). */
  init(rng: Rng): void;
  /** The outputs for m samples (a view the layer owns, overwritten by the next call with the same m). */
  forward(x: Float32Array, m: number, train: boolean, rng: Rng | null): Float32Array;
  /** Given ∂C/∂output, fills the gradients and returns ∂C/∂input (a view the layer owns). */
  backward(x: Float32Array, dy: Float32Array, m: number): Float32Array;
}

/** Where a layer stack's arrays are in shared memory (byte offsets), so worker threads can attach replicas. */
export interface StackLayout {
  spec: string;
  image: Shape;
  params: number;
  paramCount: number;
  velocity: number | null;
  /** Each replica's gradient buffer, replica 0 (thread 0) first. */
  grads: number[];
  /** Each replica's allocations in order (byte offset, floats), replayed by its worker. */
  replay: [number, number][][];
  ms: number[];
  evalWidth: number;
  rule: UpdateRule;
}

/** The backend the layers allocate from (so their gemms run where their arrays live); set by LayerStack. */
let home: Backend | null = null;

/** Buffers per mini-batch size, made on first use, in the stack's backend. */
class Buffers {
  private readonly byM = new Map<number, Record<string, Float32Array>>();
  private readonly backend = home ?? defaultBackend();
  get(m: number, name: string, n: number): Float32Array {
    let set = this.byM.get(m);
    if (!set) this.byM.set(m, (set = {}));
    return (set[name] ??= this.backend.alloc(n));
  }
  private readonly views = new Map<Float32Array, Matrix>();
  /** A Matrix over `data`, made once per array and shape, so a step allocates nothing. */
  matrix(rows: number, cols: number, data: Float32Array, order: 'row' | 'col' = 'row'): Matrix {
    let v = this.views.get(data);
    if (!v || v.rows !== rows || v.cols !== cols || v.order !== order) this.views.set(data, (v = new Matrix(rows, cols, data, order)));
    return v;
  }
}

const TRANS_B = { transB: true } as const;
const fName = (f: Activation | 'softmax') => (typeof f === 'string' ? f : f.name === 'sigmoid' ? 'σ' : f.name);

/** A fully-connected layer: a = f(w·x + b), as the chapter-1 network's layers. */
export class Dense implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly paramCount: number;
  readonly weightCount: number;
  name = 'fc';
  w!: Matrix;
  b!: Matrix;
  private gw!: Matrix;
  private gb!: Matrix;
  private readonly buf = new Buffers();

  /** `isOutput`: the last layer, whose error δᴸ = aᴸ − y comes from the cost (log-likelihood or cross-entropy) as is. */
  constructor(readonly input: Shape, readonly units: number, readonly f: Activation | 'softmax', readonly isOutput = false) {
    this.output = { c: units, h: 1, w: 1 };
    this.weightCount = units * size(input);
    this.paramCount = this.weightCount + units;
    this.describe = f === 'softmax' ? `softmax ${units}` : isOutput ? `sigmoid ${units}` : `fc ${units} ${f.name}`;
  }

  traceForward(): string {
    const n = size(this.input);
    return `${this.name}  z = W (${this.units}×${n}) · a (${shapeText(this.input)} → ${n}) + b (${this.units}), a = ${fName(this.f)}(z) → (${this.units})`;
  }

  traceBackward(): string {
    const n = size(this.input);
    const bp = this.isOutput ? 'δ = aᴸ − y (BP1)' : `δ = ∂C/∂a ⊙ ${fName(this.f)}′(z) (BP2)`;
    return `${this.name}  ${bp} (${this.units}); ∇b = Σ δ (BP3) (${this.units}); ∇W = δ·aᵀ (BP4) (${this.units}×${n}); Wᵀδ → (${shapeText(this.input)})`;
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

  forward(x: Float32Array, m: number): Float32Array {
    const n = size(this.input);
    const a = this.buf.get(m, 'a', this.units * m);
    const z = this.buf.matrix(this.units, m, a, 'col');
    weightedInput(z, this.w, this.buf.matrix(n, m, x, 'col'), this.b); // z = w·x + b (one sample per column)
    if (this.f === 'softmax') softmaxColumns(a, a, this.units, m);
    else this.f.forward(a, a, a.length);
    return a;
  }

  backward(x: Float32Array, dy: Float32Array, m: number): Float32Array {
    const n = size(this.input);
    const a = this.buf.get(m, 'a', this.units * m);
    // δ = ∂C/∂z: an output layer's comes in as is (BP1: aᴸ − y); a hidden one's is ∂C/∂a ⊙ f′(z) (BP2)
    const delta = this.buf.get(m, 'delta', this.units * m);
    delta.set(dy);
    if (!this.isOutput && this.f !== 'softmax') this.f.backward(delta, a, delta.length);
    const d = this.buf.matrix(this.units, m, delta, 'col');
    denseGradients(this.gb, this.gw, d, this.buf.matrix(n, m, x, 'col')); // BP3, BP4
    const dx = this.buf.get(m, 'dx', n * m);
    errorBelow(this.buf.matrix(n, m, dx, 'col'), this.w, d); // wᵀδ, the error for the layer below
    return dx;
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
  private readonly buf = new Buffers();

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

  traceBackward(): string {
    const { c } = this.input;
    return `${this.name}  δ = ∂C/∂a ⊙ ${fName(this.f)}′(z) (${shapeText(this.output)}); ∇b (${this.maps}); ∇W = δ · patchesᵀ (${this.maps}×${c}×${this.k}×${this.k}); ∂C/∂x = col2im(Wᵀδ) → (${shapeText(this.input)})`;
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

  forward(x: Float32Array, m: number): Float32Array {
    const { c: C, h: H, w: W } = this.input;
    const P = this.output.h * this.output.w;
    const rows = C * this.k * this.k;
    const cols = this.buf.get(m, 'cols', rows * m * P);
    im2col(cols, x, m, C, H, W, this.k);
    const z = this.buf.get(m, 'z', this.maps * m * P); // F × (m·P)
    matmul(this.buf.matrix(this.maps, m * P, z), this.w, this.buf.matrix(rows, m * P, cols));
    const a = this.buf.get(m, 'a', m * this.maps * P); // sample by sample: F maps each
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

  backward(x: Float32Array, dy: Float32Array, m: number): Float32Array {
    const { c: C, h: H, w: W } = this.input;
    const P = this.output.h * this.output.w;
    const rows = C * this.k * this.k;
    const a = this.buf.get(m, 'a', m * this.maps * P);
    const delta = this.buf.get(m, 'delta', a.length);
    delta.set(dy);
    this.f.backward(delta, a, delta.length); // δ = ∂C/∂a ⊙ f′(z)
    // back to the gemm's layout, F × (m·P); ∇b sums each map's δ
    const dz = this.buf.get(m, 'dz', a.length);
    this.gb.fill(0);
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
      this.gb[f] = sum;
    }
    const cols = this.buf.get(m, 'cols', rows * m * P);
    const dZ = this.buf.matrix(this.maps, m * P, dz);
    matmul(this.gw, dZ, this.buf.matrix(rows, m * P, cols), TRANS_B); // ∇w = δ·colsᵀ
    const dcols = this.buf.get(m, 'dcols', cols.length);
    errorBelow(this.buf.matrix(rows, m * P, dcols), this.w, dZ); // wᵀδ, per patch: a dense layer's, over patches
    const dx = this.buf.get(m, 'dx', m * C * H * W);
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
  private readonly buf = new Buffers();
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

  forward(x: Float32Array, m: number): Float32Array {
    const y = this.buf.get(m, 'y', m * size(this.output));
    let where = this.where.get(m);
    if (!where) this.where.set(m, (where = new Int32Array(y.length)));
    maxPool2Forward(y, where, x, m, this.input.c, this.input.h, this.input.w);
    return y;
  }

  backward(_x: Float32Array, dy: Float32Array, m: number): Float32Array {
    const dx = this.buf.get(m, 'dx', m * size(this.input));
    maxPool2Backward(dx, dy, this.where.get(m)!, dy.length, dx.length);
    return dx;
  }
}

/** Inverted dropout: while training, each value is dropped with probability p, the others scaled by 1/(1 − p). */
export class Dropout implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly paramCount = 0;
  readonly weightCount = 0;
  name = 'dropout';
  private readonly buf = new Buffers();

  constructor(readonly input: Shape, readonly p: number) {
    this.output = input;
    this.describe = `dropout ${p}`;
  }

  bind(): void {}
  init(): void {}

  traceForward(): string {
    return `${this.name}  a ⊙ mask / (1 − p), p = ${this.p} (training only) → (${shapeText(this.output)})`;
  }

  traceBackward(): string {
    return `${this.name}  δ ⊙ mask / (1 − p) → (${shapeText(this.input)})`;
  }

  forward(x: Float32Array, m: number, train: boolean, rng: Rng | null): Float32Array {
    if (!train || this.p === 0) return x;
    const y = this.buf.get(m, 'y', x.length);
    dropForward(y, this.buf.get(m, 'keep', x.length), x, x.length, this.p, rng!);
    return y;
  }

  backward(_x: Float32Array, dy: Float32Array, m: number): Float32Array {
    const dx = this.buf.get(m, 'dx', dy.length);
    dropBackward(dx, this.buf.get(m, 'keep', dy.length), dy, dy.length);
    return dx;
  }
}

/** A stack of layers from the layer language, with one parameter buffer and one gradient buffer. */
export class LayerStack extends Classifier {
  readonly layers: Layer[] = [];
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** The layer description, normalised ("conv 20 5x5 relu, pool 2, …, softmax 10"). */
  readonly spec: string;
  /** Values per sample in (C·H·W) and out (classes). */
  readonly inputSize: number;
  readonly classes: number;
  protected readonly evalBatch = 20; // a conv layer's patches for 100 images would take ~30 MiB of the WebAssembly memory
  private readonly segments: ParamSegment[];
  private lastOut: Float32Array | null = null;
  private readonly inputs: Float32Array[] = [];
  private readonly errors = new Map<number, Float32Array>();
  private readonly batches = new Map<number, { x: Matrix; y: Matrix; predictions: Uint8Array }>();

  readonly backend: Backend;

  constructor(spec: string | LayerSpec[], readonly image: Shape = { c: 1, h: 28, w: 28 }, backend?: Backend, options: { params?: Float32Array } = {}) {
    super();
    const layers = typeof spec === 'string' ? parseLayers(spec, image).layers : spec;
    this.backend = backend ?? defaultBackend();
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
    home = null;
    this.spec = this.layers.map((l) => l.describe).join(', ');
    this.inputSize = size(image);
    this.classes = size(shape);
    const count = this.layers.reduce((s, l) => s + l.paramCount, 0);
    if (options.params && options.params.length !== count) throw new RangeError(`LayerStack: ${this.spec} has ${count} parameters; got ${options.params.length}`);
    this.params = options.params ?? this.backend.alloc(count);
    this.grads = this.backend.alloc(count);
    this.segments = this.layers.filter((l) => l.paramCount > 0).map((l) => ({ weights: l.weightCount, params: l.paramCount }));
    let offset = 0;
    for (const l of this.layers) {
      l.bind(this.params.subarray(offset, offset + l.paramCount), this.grads.subarray(offset, offset + l.paramCount));
      offset += l.paramCount;
    }
  }

  /** The output layer is a softmax (with the log-likelihood cost) or a sigmoid. */
  get softmax(): boolean {
    const last = this.layers[this.layers.length - 1];
    return last instanceof Dense && last.f === 'softmax';
  }

  /** The cost the output layer goes with: log-likelihood for softmax, cross-entropy for sigmoid (either way δᴸ = aᴸ − y). */
  get outputCost(): Cost {
    return this.softmax ? LogLikelihoodCost : CrossEntropyCost;
  }

  get costName(): Cost['name'] {
    return this.outputCost.name;
  }

  init(rng: Rng): void {
    for (const l of this.layers) l.init(rng);
  }

  /** The input and desired-output matrices (inputSize × m and classes × m, one sample per column) for a batch of m. */
  protected batch(m: number): BatchBuffers {
    let b = this.batches.get(m);
    if (!b) {
      const x = new Matrix(this.inputSize, m, this.backend.alloc(this.inputSize * m), 'col');
      const y = new Matrix(this.classes, m, this.backend.alloc(this.classes * m), 'col');
      this.batches.set(m, (b = { x, y, predictions: new Uint8Array(m) }));
    }
    return b;
  }

  /** The outputs (classes × m, one sample per column) for m samples x (each C·H·W contiguous). */
  forward(x: Float32Array, m: number, train = false, rng: Rng | null = null, trace?: ShapeTrace): Float32Array {
    let a = x;
    this.inputs.length = 0;
    if (trace) trace(`input  x: m = ${m} samples of (${shapeText(this.image)}), each one contiguous`);
    for (const l of this.layers) {
      this.inputs.push(a);
      if (trace && (train || !(l instanceof Dropout))) trace(l.traceForward());
      a = l.forward(a, m, train, rng);
    }
    this.lastOut = a;
    return a;
  }

  /**
   * Gradients for a mini-batch after forward(x, m, true): y one-hot (classes × m).
   * BP1: the output error is aᴸ − y (softmax with log-likelihood, or sigmoid
   * with cross-entropy); then each layer fills its gradients and passes the
   * error down (BP2).
   */
  backprop(out: Float32Array, y: Float32Array, m: number, trace?: ShapeTrace): void {
    let d = this.errors.get(m);
    if (!d) this.errors.set(m, (d = this.backend.alloc(out.length)));
    this.outputCost.delta(d, out, y, out.length); // BP1: δᴸ = aᴸ − y
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (trace) trace(this.layers[i].traceBackward());
      d = this.layers[i].backward(this.inputs[i], d, m);
    }
  }

  /** One step of mini-batch gradient descent on the m columns of x and y (network.py's update_mini_batch). */
  updateMiniBatch(x: Matrix, y: Matrix, eta: number, trace?: ShapeTrace): void {
    const m = x.cols;
    if (x.rows !== this.inputSize || y.rows !== this.classes || y.cols !== m) {
      throw new RangeError(`updateMiniBatch: x must be ${this.inputSize}×m and y ${this.classes}×m; got ${x.shape} and ${y.shape}`);
    }
    const out = this.forward(x.data, m, true, this.dropoutRng, trace);
    this.backprop(out, y.data, m, trace);
    this.step(eta, m);
    if (trace) trace(`SGD  ${ruleText(this.rule)}, b ← b − (η/m)·∇b with η = ${eta}, m = ${m}: ${this.params.length} parameters in one buffer`);
  }

  /** --debug-shapes with threads: the shapes of one step on x and y (forward, backprop), printed, with no update. */
  traceStep(x: Matrix, y: Matrix, trace: ShapeTrace): void {
    const out = this.forward(x.data, x.cols, true, this.dropoutRng, trace);
    this.backprop(out, y.data, x.cols, trace);
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
    const out = this.inputs.length ? this.lastOut : null;
    let v = this.outViews.get(m);
    if (!v || v.data !== out) this.outViews.set(m, (v = new Matrix(this.classes, m, out!, 'col')));
    return v;
  }

  protected costSum(out: Float32Array, y: Float32Array): number {
    return this.cost(out, y);
  }

  /** After predict() or forward(…, 1): what layer i handed on for that one sample (a copy), e.g. conv1's feature maps. */
  layerOutput(i: number): Float32Array {
    const next = i + 1 < this.layers.length ? this.inputs[i + 1] : null;
    if (!next) throw new RangeError(`layerOutput: layer ${i} is the output; use predict()`);
    return next.slice(0, size(this.layers[i].output));
  }

  /** The cost of the outputs against y, summed over the m samples: log-likelihood, or cross-entropy for a sigmoid output. */
  cost(out: Float32Array, y: Float32Array): number {
    return this.outputCost.fn(out, y, out.length);
  }

  // ---- worker threads (nn/threads.ts): data-parallel steps on replicas that share the parameters.
  // Thread t of T feeds its part of each mini-batch through its own replica (its own buffers and
  // gradients), then sums every replica's gradients, in replica order, for its part of each
  // parameter array and updates that part. Deterministic for a given T; a different T sums the
  // mini-batch in different parts, so rounds differently (the fully-connected Network, whose
  // threads split rows and columns instead, is bit-identical for every T).

  /** Every replica's gradient buffer, this one's included, in replica order (set when threads start). */
  private peers: Float32Array[] | null = null;
  private readonly ranges = new Map<string, { w: Float32Array; g: Float32Array; v: Float32Array | null; from: number; to: number; decay: boolean }[]>();

  /** Whether the stack can train on several threads: not with dropout layers (their masks come from one generator, in order). */
  get threadable(): boolean {
    return !this.layers.some((l) => l instanceof Dropout && l.p > 0);
  }

  /** Phase 1 for thread t: forward and backprop its part of the mini-batch order[start .. start + m − 1] into its own gradients. */
  stepColumns(m: number, t: number, T: number, set: LabelledImages, order: Uint32Array, start: number): void {
    const j0 = Math.floor((t * m) / T); // part(m, t, T), without making a pair each step
    const n = Math.floor(((t + 1) * m) / T) - j0;
    if (n === 0) {
      this.grads.fill(0);
      return;
    }
    const x = this.input(n);
    const y = this.target(n);
    gatherBatch(x.data, y.data, this.classes, set, order, start + j0, n);
    this.backprop(this.forward(x.data, n, true, null), y.data, n);
  }

  /** Phase 2 for thread t, after every thread's phase 1: sum the replicas' gradients for its part of the parameters, and update that part. */
  stepRows(m: number, t: number, T: number, eta: number): void {
    const peers = this.peers!;
    for (const r of this.rangesOf(t, T)) {
      for (let i = r.from; i < r.to; i++) {
        let sum = peers[0][i];
        for (let p = 1; p < peers.length; p++) sum += peers[p][i];
        peers[0][i] = sum;
      }
      stepParams(this.rule, r.w, r.g, r.v, eta, m, r.decay);
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
        list.push({ from, to, decay, w: this.params.subarray(from, to), g: g.subarray(from, to), v: this.velocity ? this.velocity.subarray(from, to) : null });
      }
      offset += seg.params;
    }
    this.ranges.set(key, list);
    return list;
  }

  /**
   * Thread 0: makes the replicas for threads 1 … T − 1 in this stack's (shared) memory, and
   * returns where everything is, so each worker can attach to its replica (LayerStack.attach).
   * `ms`: the mini-batch sizes the run uses; `evalWidth`: samples per evaluation batch.
   */
  sharedLayout(ms: number[], T: number, evalWidth: number): StackLayout {
    if (!this.threadable) throw new RangeError('threads: a layer stack with dropout trains on one thread');
    if (this.rule.momentum && !this.velocity) this.velocity = this.backend.alloc(this.params.length);
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
    this.attachPeers(replicas.map((r) => r.grads));
    return {
      spec: this.spec, image: this.image, params: this.params.byteOffset, paramCount: this.params.length, velocity: this.velocity?.byteOffset ?? null,
      grads: replicas.map((r) => r.grads.byteOffset), replay, ms, evalWidth, rule: { ...this.rule },
    };
  }

  /** A worker thread's replica t, attached to the arrays thread 0 made (its allocations replayed in the same order). */
  static attach(layout: StackLayout, t: number, T: number, backend: Backend): LayerStack {
    const buffer = backend.sharedBuffer!;
    const steps = layout.replay[t];
    let next = 0;
    const replay: Backend = {
      ...backend,
      alloc: (n) => {
        const [offset, count] = steps[next++] ?? [-1, -1];
        if (count !== n) throw new Error(`threads: replica ${t} allocates differently from thread 0 (allocation ${next}: ${n} floats, expected ${count})`);
        return new Float32Array(buffer, offset, n);
      },
    };
    const net = new LayerStack(layout.spec, layout.image, replay, { params: new Float32Array(buffer, layout.params, layout.paramCount) });
    net.rule = { ...layout.rule };
    if (layout.velocity !== null) net.velocity = new Float32Array(buffer, layout.velocity, net.params.length);
    net.warm(layout.ms, t, T, layout.evalWidth);
    if (next !== steps.length) throw new Error(`threads: replica ${t} made ${next} arrays; thread 0 made ${steps.length}`);
    net.attachPeers(layout.grads.map((g) => new Float32Array(buffer, g, net.params.length)));
    return net;
  }

  private attachPeers(peers: Float32Array[]): void {
    this.peers = peers;
    this.ranges.clear();
  }

  /** Makes every buffer replica t uses (its parts of the batch sizes in ms, and the evaluation width), in a fixed order. */
  private warm(ms: number[], t: number, T: number, evalWidth: number): void {
    const sizes: number[] = [];
    for (const m of ms) {
      const [j0, j1] = part(m, t, T);
      if (j1 > j0 && !sizes.includes(j1 - j0)) sizes.push(j1 - j0);
    }
    for (const n of sizes) {
      const x = this.input(n);
      const y = this.target(n);
      this.backprop(this.forward(x.data, n, true, null), y.data, n);
    }
    this.forward(this.input(evalWidth).data, evalWidth);
  }

  /** One line per layer: what it is and the shape it hands on ("conv 20 5x5 relu → 20×24×24"). */
  shapes(): string[] {
    return this.layers.map((l) => `${l.describe} → ${shapeText(l.output)}`);
  }
}
