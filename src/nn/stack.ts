// nn/stack.ts: a network as a stack of layers (nn/layers/), with one buffer
// for every parameter, one for the gradients and one for non-trained state.
// One mini-batch reads top-down: gather → run (each layer's forward) → BP1
// from the cost → back (each layer's BP2–BP4, top down) → the optimizer's
// step over the parameter ranges (nn/optimizers/). The fully-connected
// network of chapters 1–3 (nn/network.ts) is a stack of Dense layers; the
// convolutional nets of chapter 6 add Conv and Pool. Threads (nn/parallel/)
// wrap this sequence; nothing here knows about them.

import { Matrix } from '../tensor/matrix.js';
import { Classifier, type BatchBuffers } from './classifier.js';
import { type Activation } from './activations.js';
import { checkSmoothing, CrossEntropyCost, LogLikelihoodCost, smoothedBp1, smoothedDelta, type Cost } from './costs.js';
import { parseLayers, shapeText, type LayerSpec, type Shape } from './layer-spec.js';
import type { Rng } from '../rng.js';
import { defaultBackend, type Backend } from '../backend.js';
import { Buffers, Dense, Dropout, makeLayer, part, size, sup, type Cols, type Layer, type ShapeTrace, type StackProbe, withBatchNorm } from './layers/index.js';
import { countOf } from './layers/layer.js';
import { droppedText, dropoutGradientScale } from './layers/dropout.js';
import { initStack, type StackInit } from './init.js';
import { makeOptimizer, type Optimizer, type ParamRange, type RangeViews } from './optimizers/index.js';

export type { ShapeTrace, StackInit, StackProbe };

const lines = (trace: ShapeTrace, text: string) => {
  if (text) for (const line of text.split('\n')) trace(line);
};

export interface StackOptions {
  /** Use this array as the parameters (no copy; e.g. a replica sharing thread 0's). */
  params?: Float32Array;
  /** Use this array as the layers' state (a replica reading thread 0's running statistics). */
  state?: Float32Array;
  /** For worker threads: use these arrays as they are. */
  shared?: { params: Float32Array; grads: Float32Array; state?: Float32Array };
  /** The cost (default: log-likelihood for a softmax output, cross-entropy for a sigmoid one). */
  cost?: Cost;
  /** Number the dense layers as the book does, in traces (the fully-connected Network). */
  book?: boolean;
}

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
  /** The stack's own arrays: inputs x, desired outputs y, the output error δᴸ (nn/parallel shares them among threads). */
  readonly own: Buffers;
  /** Non-trained state of its layers (batch norm's running statistics), in layer order. */
  readonly state: Float32Array;
  /** Every parameter array as a range of the buffer, in order: what an optimizer steps. */
  readonly ranges: readonly ParamRange[];
  /** Each range's layer's input dropout, if any: its weights step as the book's dropout (dropoutGradientScale). */
  readonly dropIns: readonly (Dropout | null)[];
  private readonly book: boolean;
  private costFn: Cost;
  private smoothing = 0;
  private opt: Optimizer;
  private stepViews: RangeViews[] | null = null;
  private lastOut: Float32Array | null = null;
  private probeFn: StackProbe | null = null;
  private readonly inputs: Float32Array[] = [];
  private readonly batches = new Map<number, BatchBuffers>();
  private readonly shares = new Map<number, Cols>();

  constructor(spec: string | LayerSpec[], readonly image: Shape = { c: 1, h: 28, w: 28 }, backend?: Backend, options: StackOptions = {}) {
    super();
    const layers = typeof spec === 'string' ? parseLayers(spec, image).layers : spec;
    this.backend = backend ?? defaultBackend();
    this.book = options.book ?? false;
    let shape = image;
    const counts: Record<string, number> = {};
    for (const l of layers) {
      const layer = makeLayer(l, shape, this.backend);
      const kind = l.kind;
      counts[kind] = (counts[kind] ?? 0) + 1;
      layer.name = l.kind === 'softmax' || l.kind === 'sigmoid' ? 'output' : `${kind}${counts[kind]}`;
      this.layers.push(layer);
      shape = layer.output;
    }
    this.own = new Buffers(this.backend);
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
    const stateCount = this.layers.reduce((s, l) => s + countOf(l.stateGroups), 0);
    const givenState = options.shared?.state ?? options.state;
    if (givenState && givenState.length !== stateCount) throw new RangeError(`LayerStack: ${this.spec} keeps ${stateCount} state values; got ${givenState.length}`);
    this.state = givenState ?? (stateCount ? this.backend.alloc(stateCount) : new Float32Array(0));
    // each layer takes its part of the buffers; a layer right after a dropout layer
    // steps its weights as the book's dropout would (dropoutGradientScale)
    const ranges: ParamRange[] = [];
    const dropIns: (Dropout | null)[] = [];
    let offset = 0;
    let at = 0;
    this.layers.forEach((l, i) => {
      const n = countOf(l.stateGroups);
      l.bind(this.params.subarray(offset, offset + l.paramCount), this.grads.subarray(offset, offset + l.paramCount), this.state.subarray(at, at + n));
      if (n && !givenState) l.resetState?.();
      const below = this.layers[i - 1];
      for (const g of l.groups) {
        ranges.push({ from: offset, to: offset + g.rows * g.cols, decay: g.decay, scale: 1 });
        dropIns.push(g.decay && below instanceof Dropout ? below : null);
        offset += g.rows * g.cols;
      }
      at += n;
    });
    this.ranges = ranges;
    this.dropIns = dropIns;
    this.opt = makeOptimizer();
  }

  /** How each step updates the parameters (plain SGD until set); its state arrays are made in the stack's memory. */
  get optimizer(): Optimizer {
    return this.opt;
  }

  set optimizer(o: Optimizer) {
    o.bind(this.params.length, (n) => this.backend.alloc(n));
    this.opt = o;
    this.stepViews = null;
  }

  /** Sets the trace hook (null, the default, while training): it hears every value run() and back() make. */
  setProbe(p: StackProbe | null): void {
    this.probeFn = p;
    this.layers.forEach((l, i) => (l.probe = p ? (what, values) => p(i, what, values) : null));
  }

  /** Range i's gradient weight now: (1 − p)² after dropout p (which the Network's --dropout may change), else 1. */
  rangeScale(i: number): number {
    return dropoutGradientScale(this.dropIns[i]);
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

  /** Label smoothing ε (costs.ts, smoothedDelta; 0, the default, for none): while training, BP1 takes (1 − ε)·y + ε/K as the desired output. */
  get labelSmoothing(): number {
    return this.smoothing;
  }

  set labelSmoothing(e: number) {
    checkSmoothing(e, this.output);
    this.smoothing = e;
  }

  private checkCost(c: Cost): void {
    if (c.output !== this.output) throw new RangeError(`${c.name} needs a ${c.output} output layer; this network's is ${this.output}`);
  }

  /** Draws every layer's initial weights and biases from rng, layer by layer: 'default', 'network3' or 'he' (nn/init.ts says how). */
  init(rng: Rng, scheme: StackInit = 'default'): void {
    initStack(this.layers, rng, scheme);
  }

  /** Thread t of T's share of a batch of `full`: samples part(full, t, T). */
  share(full: number, t: number, T: number): Cols {
    const [j0, j1] = part(full, t, T);
    return this.span(full, j0, j1);
  }

  /** Samples j0 … j1 − 1 of a batch of `full` (made once; batches under 65,536). */
  span(full: number, j0: number, j1: number): Cols {
    const key = (full * 65536 + j0) * 65536 + j1;
    let b = this.shares.get(key);
    if (!b) this.shares.set(key, (b = { full, j0, m: j1 - j0 }));
    return b;
  }

  /** A whole batch of m. */
  whole(m: number): Cols {
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
  run(x: Float32Array, b: Cols, train: boolean, rng: Rng | null, trace?: ShapeTrace): Float32Array {
    let a = x;
    this.inputs.length = 0;
    if (trace && !this.book) trace(`input  x: m = ${b.m} samples of (${shapeText(this.image)}), each one contiguous`);
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      this.inputs.push(a);
      if (trace) lines(trace, l.traceForward(b.m, train));
      a = l.forward(a, b, train, rng);
      this.probeFn?.(i, 'a', a);
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
  back(out: Float32Array, y: Float32Array, b: Cols, grads: boolean, trace?: ShapeTrace): void {
    const d = this.own.get(b, 'delta', this.classes);
    const e = this.smoothing;
    // BP1: δᴸ = ∇ₐC ⊙ σ′(zᴸ) (aᴸ − y with cross-entropy or softmax; with y smoothed by ε if set)
    if (e > 0) smoothedDelta(d, out, y, b.m * this.classes, this.classes, e);
    else this.cost.delta(d, out, y, b.m * this.classes);
    if (trace && this.book) {
      const L = sup(this.layers.filter((l) => l instanceof Dense).length + 1);
      trace(`BP1  δ${L} = ${(e > 0 ? smoothedBp1(e, this.classes) : this.cost.bp1).replace(/ᴸ/g, L)} (${this.cost.name}) → (${this.classes}×${b.m})`);
    } else if (trace && e > 0) {
      trace(`labels smoothed (ε = ${e}): BP1 below takes y as (1 − ${e})·y + ${e}/${this.classes}, not one-hot (${this.classes}×${b.m})`);
    }
    let dy: Float32Array | null = d;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (trace) lines(trace, this.layers[i].traceBackward(b.m, i > 0));
      this.probeFn?.(i, 'dy', dy!);
      dy = this.layers[i].backward(this.inputs[i], dy!, b, grads, i > 0);
    }
  }

  /** The gradients for the outputs `out` of forward(x, m, true) against y (classes × m): for tests and curious readers. */
  backward(out: Float32Array, y: Float32Array, m: number, trace?: ShapeTrace): void {
    this.back(out, y, this.whole(m), true, trace);
  }

  /** With dropout layers that drop something: a step draws masks. */
  get drops(): boolean {
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
    if (this.drops && !this.dropoutRng) throw new Error('backprop: dropout needs net.dropoutRng to draw its masks');
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
    if (trace) trace(`${this.opt.label}  ${this.opt.text()} with η = ${eta}, m = ${m}: ${this.params.length} parameters in one buffer${droppedText(this.layers)}`);
  }

  /** Runs fn with batch norm's running averages left as they are (a pass that must change nothing). */
  untracked<T>(fn: () => T): T {
    return withBatchNorm(this.layers, 'tracks', false, fn);
  }

  /** Runs fn with every batch norm frozen (its running averages in place of the batch's statistics, and kept): a step on one example, or on a few. */
  frozenBatchNorm<T>(fn: () => T): T {
    return withBatchNorm(this.layers, 'frozen', true, fn);
  }

  /** The update of every parameter from the gradients of a mini-batch of m (after backprop): the optimizer's rule, range by range. */
  private step(eta: number, m: number): void {
    if (!this.stepViews) this.stepViews = this.ranges.map((r) => this.opt.views(this.params, this.grads, r));
    this.opt.begin();
    for (let i = 0; i < this.stepViews.length; i++) {
      const v = this.stepViews[i];
      v.scale = this.rangeScale(i);
      this.opt.step(v, eta, m);
    }
  }

  /** Σw² over the weights (not the biases), for the L2 term of the cost. */
  weightSquares(): number {
    let sum = 0;
    for (const r of this.ranges) if (r.decay) for (let i = r.from; i < r.to; i++) sum += this.params[i] * this.params[i];
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

  /** After predict() or forward(…, m): what layer i handed on for the first `samples` samples (a copy), e.g. conv1's feature maps. */
  layerOutput(i: number, samples = 1): Float32Array {
    const next = i + 1 < this.layers.length ? this.inputs[i + 1] : null;
    if (!next) throw new RangeError(`layerOutput: layer ${i} is the output; use predict()`);
    return next.slice(0, size(this.layers[i].output) * samples);
  }

  /** One line per layer: what it is and the shape it hands on ("conv 20 5x5 relu → 20×24×24"). */
  shapes(): string[] {
    return this.layers.map((l) => `${l.describe} → ${shapeText(l.output)}`);
  }

  /** What rebuilds this stack in a worker thread (a Network overrides it: nn/parallel/layout.ts). */
  rebuild(): { sizes: number[]; cost: Cost['name']; activation: Activation['name']; dropout: number } | undefined {
    return undefined;
  }
}
