// nn/network.ts: the feedforward network of the book's chapter 1 (network.py),
// in matrix form: a whole mini-batch flows through at once, one sample per
// column. Feedforward, backpropagation (BP1–BP4) and the SGD step.
//
// Indexing: the book numbers layers from 1 (the input layer) to L, so the
// first weight matrix is w². In the code, weights[0] is w², weights[1] is w³,
// and so on: weights[l] is the book's w^(l+2). Comments use the book's names.
//
// All weights and biases live in one Float32Array (`params`), the gradients in
// another of the same layout (`grads`); each W and b is a Matrix view into it.
// Workspaces are allocated once per mini-batch size, so a training step
// allocates nothing.

import { Matrix } from '../tensor/matrix.js';
import { argmaxCols } from '../tensor/ops.js';
import { gatherBatch, type LabelledImages } from '../data/dataset.js';
import { activations, sigmoid, softmaxColumns, type Activation } from './activations.js';
import { QuadraticCost, type Cost } from './costs.js';
import type { Rng } from '../rng.js';
import { defaultBackend, type Backend } from '../backend.js';
import { ruleText, stepParams, updateAll, type ParamSegment, type UpdateRule } from './update.js';
import { denseGradients, errorBelow, weightedInput } from './dense.js';
import { Classifier } from './classifier.js';
import { dropBackward, dropForward } from './dropout.js';

/** Receives one line per tensor when shapes are being traced (--debug-shapes). */
export type ShapeTrace = (line: string) => void;

/**
 * The buffers a mini-batch flows through: everything a step writes besides
 * the gradients. Each is n × m with one sample per column, stored
 * column-major, so that one sample's values are contiguous (see
 * tensor/matrix.ts) and some columns of it are again such a Batch.
 */
interface Batch {
  readonly x: Matrix; // input a¹: sizes[0] × m
  readonly y: Matrix; // desired output: sizes[L−1] × m, one-hot
  readonly zs: Matrix[]; // zs[l]: sizes[l+1] × m (the book's z^(l+2))
  readonly activations: Matrix[]; // activations[l]: sizes[l] × m; activations[0] is x
  readonly deltas: Matrix[]; // deltas[l]: sizes[l+1] × m (the book's δ^(l+2))
}

/** The buffers for mini-batches of m samples, made once and kept. */
interface Workspace extends Batch {
  readonly m: number;
  readonly predictions: Uint8Array; // m
  /** With dropout: each hidden layer's activations after dropout, and which units were kept (made on first use). */
  dropped?: Matrix[];
  kept?: Float32Array[];
}

/**
 * Thread t of T's share of a step on a batch of m (see nn/threads.ts):
 * its columns (samples) for feedforward, BP1 and BP2, and its rows (neurons)
 * of every layer for BP3, BP4 and the update. Views, made once.
 */
interface Share {
  readonly cols: Batch | null; // null when the thread has no samples (T > m)
  readonly j0: number;
  readonly rows: {
    readonly delta: Matrix; // rows i0..i1 of δˡ (all m samples)
    readonly nablaW: Matrix; // rows i0..i1 of ∇wˡ
    readonly nablaB: Matrix;
    readonly w: Float32Array; // the same rows of wˡ, bˡ and of their gradients, for the update
    readonly b: Float32Array;
    readonly gw: Float32Array;
    readonly gb: Float32Array;
  }[];
}

/** Where a network's arrays are in a shared buffer (byte offsets), so a worker thread can make the same views. */
export interface SharedLayout {
  sizes: number[];
  cost: Cost['name'];
  params: number;
  grads: number;
  /** Momentum's velocities, if the network uses momentum. */
  velocity: number | null;
  activation: Activation['name'];
  rule: UpdateRule;
  /** m → the offsets of x, y, zs[], activations[1..], deltas[] */
  workspaces: { m: number; x: number; y: number; zs: number[]; activations: number[]; deltas: number[] }[];
}

/** [from, to) of n items for part t of T: as even as can be, in order. */
export function part(n: number, t: number, T: number): [number, number] {
  return [Math.floor((t * n) / T), Math.floor(((t + 1) * n) / T)];
}

/** How the weights start: 'large' N(0, 1) as chapter 1; 'default' N(0, 1/n_in) as network2.py's default. */
export type Init = 'large' | 'default';

export interface NetworkOptions {
  /** The parameters to copy in (default: zeros). */
  params?: Float32Array;
  /** The cost; it also decides the output layer (sigmoid, or softmax for the log-likelihood). */
  cost?: Cost;
  /** The hidden layers' activation (default sigmoid). */
  activation?: Activation;
  backend?: Backend;
  /** For worker threads: use these arrays as they are. */
  shared?: { params: Float32Array; grads: Float32Array; velocity?: Float32Array | null };
}

export type { UpdateRule } from './update.js';

/** The largest layer and parameter counts a network may have (checked before allocating). */
export const MAX_LAYER_SIZE = 1 << 20;
export const MAX_PARAMETERS = 1 << 27;

/** Checks `sizes` (e.g. [784, 30, 10]) and returns the parameter count. */
export function checkSizes(sizes: readonly number[]): number {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new RangeError(`sizes must list at least an input and an output layer, e.g. [784, 30, 10]; got ${JSON.stringify(sizes)}`);
  }
  let count = 0;
  for (let l = 0; l < sizes.length; l++) {
    const s = sizes[l];
    if (!Number.isInteger(s) || s < 1 || s > MAX_LAYER_SIZE) {
      throw new RangeError(`sizes[${l}] must be an integer from 1 to ${MAX_LAYER_SIZE}; got ${JSON.stringify(s)}`);
    }
    if (l > 0) count += sizes[l] * sizes[l - 1] + sizes[l];
  }
  if (count > MAX_PARAMETERS) {
    throw new RangeError(`sizes ${sizes.join('-')} need ${count} parameters, more than the ${MAX_PARAMETERS} allowed`);
  }
  return count;
}

export class Network extends Classifier {
  /** Neurons per layer, input first: [784, 30, 10] for the chapter-1 net. */
  readonly sizes: readonly number[];
  readonly numLayers: number;
  /** Every weight and bias, layer by layer: w², b², w³, b³, … */
  readonly params: Float32Array;
  /** ∂C/∂w and ∂C/∂b for the last mini-batch, summed over its samples, same layout. */
  readonly grads: Float32Array;
  /** weights[l]: sizes[l+1] × sizes[l], so a layer computes w·a + b (the book's w^(l+2)). */
  readonly weights: Matrix[] = [];
  /** biases[l]: sizes[l+1] × 1 */
  readonly biases: Matrix[] = [];
  /** nablaW[l], nablaB[l]: the gradients, views into `grads`, shaped as weights[l], biases[l]. */
  readonly nablaW: Matrix[] = [];
  readonly nablaB: Matrix[] = [];
  cost: Cost;
  /** The hidden layers' activation; the output layer's follows from the cost. */
  readonly activation: Activation;
  /**
   * Dropout (chapter 3): while training, each hidden unit is dropped with
   * probability p and the kept ones scaled by 1/(1 − p) (inverted dropout),
   * so nothing changes at evaluation, where every unit takes part.
   */
  dropout = 0;
  readonly inputSize: number;
  readonly classes: number;
  protected readonly evalBatch = 1000;
  /** Where the parameters and workspaces live, and so which kernels run (backend.ts). */
  readonly backend: Backend;
  /** Each layer's weights then biases in `params`, for the update. */
  private readonly segments: ParamSegment[] = [];
  private readonly workspaces = new Map<number, Workspace>();
  private readonly shares = new Map<string, Share>();

  /**
   * A network with the given parameters (copied into the backend's memory) or
   * zeros. See Network.random for the book's initialisation.
   */
  constructor(sizes: readonly number[], options: NetworkOptions = {}) {
    super();
    const count = checkSizes(sizes);
    if (options.params && options.params.length !== count) {
      throw new RangeError(`Network: sizes ${sizes.join('-')} need ${count} parameters, got ${options.params.length}`);
    }
    this.sizes = [...sizes];
    this.numLayers = sizes.length;
    this.inputSize = sizes[0];
    this.classes = sizes[sizes.length - 1];
    this.backend = options.backend ?? defaultBackend();
    this.params = options.shared?.params ?? this.backend.alloc(count);
    if (options.params) this.params.set(options.params);
    this.grads = options.shared?.grads ?? this.backend.alloc(count);
    this.velocity = options.shared?.velocity ?? null;
    this.cost = options.cost ?? QuadraticCost;
    this.activation = options.activation ?? sigmoid;
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const w = nOut * nIn;
      this.weights.push(new Matrix(nOut, nIn, this.params.subarray(offset, offset + w)));
      this.nablaW.push(new Matrix(nOut, nIn, this.grads.subarray(offset, offset + w)));
      offset += w;
      this.biases.push(new Matrix(nOut, 1, this.params.subarray(offset, offset + nOut)));
      this.nablaB.push(new Matrix(nOut, 1, this.grads.subarray(offset, offset + nOut)));
      offset += nOut;
      this.segments.push({ weights: w, params: w + nOut });
    }
  }

  /**
   * network2.py's initialisations, drawn in its order (all biases, then all
   * weights): biases from N(0, 1); weights from N(0, 1) ('large', network.py's
   * and chapter 1's) or from N(0, 1/n_in) ('default', chapter 3's).
   */
  static random(sizes: readonly number[], rng: Rng, options: Omit<NetworkOptions, 'params' | 'shared'> & { init?: Init } = {}): Network {
    const net = new Network(sizes, options);
    for (const b of net.biases) for (let i = 0; i < b.size; i++) b.data[i] = rng.gaussian();
    for (const w of net.weights) {
      const scale = options.init === 'default' ? 1 / Math.sqrt(w.cols) : 1;
      for (let i = 0; i < w.size; i++) w.data[i] = rng.gaussian() * scale;
    }
    return net;
  }

  /** The output layer, which the cost decides. */
  get output(): 'sigmoid' | 'softmax' {
    return this.cost.output;
  }

  /** The buffers for mini-batches of m samples, made on first use and kept. */
  private workspace(m: number): Workspace {
    let ws = this.workspaces.get(m);
    if (ws) return ws;
    const L = this.numLayers;
    const batch = (rows: number) => new Matrix(rows, m, this.backend.alloc(rows * m), 'col');
    const x = batch(this.sizes[0]);
    const zs: Matrix[] = [];
    const activations: Matrix[] = [x];
    const deltas: Matrix[] = [];
    for (let l = 1; l < L; l++) {
      zs.push(batch(this.sizes[l]));
      activations.push(batch(this.sizes[l]));
      deltas.push(batch(this.sizes[l]));
    }
    const y = batch(this.sizes[L - 1]);
    ws = { m, x, y, zs, activations, deltas, predictions: new Uint8Array(m) };
    this.workspaces.set(m, ws);
    return ws;
  }

  protected batch(m: number): Workspace {
    return this.workspace(m);
  }

  protected infer(x: Matrix): Float32Array {
    return this.feedforward(x).data;
  }

  protected outputMatrix(m: number): Matrix {
    return this.workspace(m).activations[this.numLayers - 1];
  }

  protected costSum(out: Float32Array, y: Float32Array): number {
    return this.cost.fn(out, y, out.length);
  }

  /**
   * aᴸ for the columns of x (sizes[0] × m): a view into the workspace,
   * overwritten by the next call with the same m.
   */
  feedforward(x: Matrix, trace?: ShapeTrace): Matrix {
    this.checkInput('feedforward', x);
    return this.forward(this.workspace(x.cols), x, trace);
  }

  /** aᴸ as training sees it: with dropout on the hidden layers, masks drawn from dropoutRng (for tests and curious readers). */
  trainingForward(x: Matrix): Matrix {
    this.checkInput('trainingForward', x);
    return this.forward(this.workspace(x.cols), x, undefined, this.dropout > 0);
  }

  /** zˡ and aˡ for every layer into `ws`, from the input columns x; returns aᴸ. With `drop`, dropout on the hidden layers. */
  private forward(ws: Batch, x: Matrix, trace?: ShapeTrace, drop = false): Matrix {
    let a = x;
    for (let l = 0; l < this.numLayers - 1; l++) {
      const w = this.weights[l];
      const b = this.biases[l];
      const z = ws.zs[l];
      weightedInput(z, w, a, b); // zˡ = wˡ·aˡ⁻¹ + bˡ
      const next = ws.activations[l + 1];
      const last = l === this.numLayers - 2;
      if (last && this.cost.output === 'softmax') softmaxColumns(next.data, z.data, z.rows, z.cols); // aᴸ = softmax(zᴸ)
      else if (last) sigmoid.forward(next.data, z.data, z.size); // aᴸ = σ(zᴸ)
      else this.activation.forward(next.data, z.data, z.size); // aˡ = f(zˡ)
      if (trace) {
        const n = l + 2;
        const f = last ? (this.cost.output === 'softmax' ? 'softmax' : 'σ') : this.activation.name === 'sigmoid' ? 'σ' : this.activation.name;
        trace(`layer ${n}  z${sup(n)} = W${sup(n)}(${w.shape})·a${sup(n - 1)}(${a.shape}) + b${sup(n)}(${b.shape}) → (${z.shape})`);
        trace(`layer ${n}  a${sup(n)} = ${f}(z${sup(n)}) → (${next.shape})`);
      }
      a = next;
      if (drop && !last) {
        a = this.dropUnits(ws as Workspace, l, next);
        if (trace) trace(`dropout  a${sup(l + 2)} ⊙ mask / (1 − p), p = ${this.dropout} → (${a.shape})`);
      }
    }
    return a;
  }

  /** Inverted dropout on hidden layer l's activations: a kept unit × 1/(1 − p), a dropped one 0. */
  private dropUnits(ws: Workspace, l: number, a: Matrix): Matrix {
    const hidden = this.numLayers - 2;
    if (!ws.dropped) {
      ws.dropped = [];
      ws.kept = [];
      for (let h = 0; h < hidden; h++) {
        const rows = this.sizes[h + 1];
        ws.dropped.push(new Matrix(rows, ws.m, this.backend.alloc(rows * ws.m), 'col'));
        ws.kept.push(new Float32Array(rows * ws.m));
      }
    }
    const out = ws.dropped[l];
    dropForward(out.data, ws.kept![l], a.data, a.size, this.dropout, this.dropoutRng!);
    return out;
  }

  /** BP1 and BP2: δˡ for every layer into `ws`, after forward() filled it, against the desired outputs y. */
  private errors(ws: Batch, y: Matrix, trace?: ShapeTrace, drop = false): void {
    const L = this.numLayers;
    const last = L - 2;
    const out = ws.activations[L - 1];
    // BP1: δᴸ = ∇ₐC ⊙ σ′(zᴸ), the error of the output layer
    this.cost.delta(ws.deltas[last].data, out.data, y.data, out.size);
    if (trace) trace(`BP1  δ${sup(L)} = ${this.cost.bp1.replace(/ᴸ/g, sup(L))} (${this.cost.name}) → (${ws.deltas[last].shape})`);
    for (let l = last - 1; l >= 0; l--) {
      const n = l + 2; // the book's layer number
      const delta = ws.deltas[l];
      // BP2: δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f′(zˡ), the error moved one layer down
      errorBelow(delta, this.weights[l + 1], ws.deltas[l + 1]);
      this.activation.backward(delta.data, ws.activations[l + 1].data, delta.size);
      if (drop) {
        // a dropped unit passed nothing on, so it gets no error; a kept one was scaled by 1/(1 − p)
        dropBackward(delta.data, (ws as Workspace).kept![l], delta.data, delta.size);
      }
      if (trace) {
        const f = this.activation.name === 'sigmoid' ? 'σ' : this.activation.name;
        trace(`BP2  δ${sup(n)} = (W${sup(n + 1)}ᵀ(${this.weights[l + 1].cols}×${this.weights[l + 1].rows})·δ${sup(n + 1)}(${ws.deltas[l + 1].shape})) ⊙ ${f}′(z${sup(n)})(${ws.zs[l].shape}) → (${delta.shape})`);
      }
    }
  }

  /**
   * Backpropagation for a mini-batch: fills nablaW and nablaB with ∂C/∂w and
   * ∂C/∂b summed over the m columns of x (sizes[0] × m) against the desired
   * outputs y (sizes[L−1] × m). network.py does this one sample at a time and
   * adds up; here the sum over samples falls out of the matrix products.
   */
  backprop(x: Matrix, y: Matrix, trace?: ShapeTrace): void {
    const L = this.numLayers;
    const m = x.cols;
    if (y.rows !== this.sizes[L - 1] || y.cols !== m) {
      throw new RangeError(`backprop: y must be ${this.sizes[L - 1]}×${m} for x ${x.shape}; got ${y.shape}`);
    }
    this.checkInput('backprop', x);
    const ws = this.workspace(m);
    if (trace) trace(`input    a¹ = x (${x.shape}): ${m} samples as columns; y (${y.shape}) desired outputs`);
    const drop = this.dropout > 0;
    if (drop && !this.dropoutRng) throw new Error('backprop: dropout needs net.dropoutRng to draw its masks');
    const out = this.forward(ws, x, trace, drop); // every zˡ and aˡ kept in ws
    if (y !== ws.y && y.order !== out.order) {
      for (let i = 0; i < y.rows; i++) for (let j = 0; j < m; j++) ws.y.set(i, j, y.get(i, j));
      y = ws.y; // the cost walks y and aᴸ as flat arrays: same storage order
    }
    this.errors(ws, y, trace, drop);
    for (let l = L - 2; l >= 0; l--) {
      const n = l + 2; // the book's layer number
      const delta = ws.deltas[l];
      // what layer l's weights saw: the input, or the hidden activations after dropout
      const aPrev = l === 0 ? x : drop ? ws.dropped![l - 1] : ws.activations[l];
      // BP3: ∂C/∂bˡ = δˡ, and BP4: ∂C/∂wˡ = δˡ (aˡ⁻¹)ᵀ, summed over the samples of the mini-batch
      denseGradients(this.nablaB[l], this.nablaW[l], delta, aPrev);
      if (trace) {
        trace(`BP3  ∇b${sup(n)} = Σ δ${sup(n)}(${delta.shape}) over ${m} samples → (${this.nablaB[l].shape})`);
        trace(`BP4  ∇W${sup(n)} = δ${sup(n)}(${delta.shape})·a${sup(n - 1)}ᵀ(${aPrev.cols}×${aPrev.rows}) → (${this.nablaW[l].shape})`);
      }
    }
  }

  /**
   * One step of mini-batch gradient descent on the samples in the columns of
   * x and y: w ← w − (η/m)·∇w, b ← b − (η/m)·∇b, over the one parameter buffer.
   */
  updateMiniBatch(x: Matrix, y: Matrix, eta: number, trace?: ShapeTrace): void {
    this.backprop(x, y, trace);
    const m = x.cols;
    this.step(eta, m);
    if (trace) {
      trace(`SGD  ${ruleText(this.rule)}, b ← b − (η/m)·∇b with η = ${eta}, m = ${m}: ${this.params.length} parameters in one buffer`);
    }
  }

  /** The update of every parameter from the gradients of a mini-batch of m (after backprop): nn/update.ts's rule. */
  private step(eta: number, m: number): void {
    if (this.rule.momentum && !this.velocity) this.velocity = this.backend.alloc(this.params.length);
    updateAll(this.rule, this.params, this.grads, this.velocity, this.segments, eta, m);
  }

  /** The velocities of the parameters in `part` (a view into params), made on first use. */
  private velocityOf(part: Float32Array): Float32Array | null {
    if (!this.rule.momentum) return null;
    if (!this.velocity) this.velocity = this.backend.alloc(this.params.length);
    const offset = (part.byteOffset - this.params.byteOffset) / 4;
    return this.velocity.subarray(offset, offset + part.length);
  }

  /** Σw² over the weights (not the biases), for the L2 term of the cost. */
  weightSquares(): number {
    let sum = 0;
    for (const w of this.weights) for (let i = 0; i < w.size; i++) sum += w.data[i] * w.data[i];
    return sum;
  }

  /**
   * Thread t of T's part of evaluate(): how many of samples part(count, t, T)
   * of `data` it classifies right, fed forward `width` at a time through its
   * own columns of the workspace for T·width (so threads never share a buffer).
   */
  override evaluatePart(data: LabelledImages, t: number, T: number, width: number): number {
    const cols = this.share(T * width, t, T).cols!;
    const [from, to] = part(data.count, t, T);
    const out = cols.activations[this.numLayers - 1];
    const predictions = this.workspace(T * width).predictions.subarray(t * width, (t + 1) * width);
    let correct = 0;
    for (let start = from; start < to; start += width) {
      const m = Math.min(width, to - start); // a last, partial chunk leaves stale columns, never read
      gatherBatch(cols.x.data, null, 0, data, null, start, m);
      this.forward(cols, cols.x);
      argmaxCols(predictions, out);
      for (let j = 0; j < m; j++) if (predictions[j] === data.labels[start + j]) correct++;
    }
    return correct;
  }

  /**
   * Phase 1 of a step split over T threads (nn/threads.ts), for thread t:
   * gather its samples of the mini-batch, feedforward them, BP1 and BP2.
   * Every value it writes is computed exactly as the whole-batch step computes it.
   */
  stepColumns(m: number, t: number, T: number, set: LabelledImages, order: Uint32Array, start: number): void {
    const share = this.share(m, t, T);
    if (!share.cols) return;
    const cols = share.cols;
    const classes = this.sizes[this.numLayers - 1];
    gatherBatch(cols.x.data, cols.y.data, classes, set, order, start + share.j0, cols.x.cols);
    this.forward(cols, cols.x);
    this.errors(cols, cols.y);
  }

  /**
   * Phase 2, after every thread finished phase 1: BP3 and BP4 for thread t's
   * rows of every layer, summed over all m samples, then the SGD update of
   * those rows. Threads own disjoint rows, so nothing is summed across threads.
   */
  stepRows(m: number, t: number, T: number, eta: number): void {
    const share = this.share(m, t, T);
    const ws = this.workspace(m);
    for (let l = 0; l < share.rows.length; l++) {
      const r = share.rows[l];
      if (r.gb.length === 0) continue;
      denseGradients(r.nablaB, r.nablaW, r.delta, ws.activations[l]); // BP3, BP4
      stepParams(this.rule, r.w, r.gw, this.velocityOf(r.w), eta, m, true);
      stepParams(this.rule, r.b, r.gb, this.velocityOf(r.b), eta, m, false);
    }
  }

  private share(m: number, t: number, T: number): Share {
    const key = `${m}/${t}/${T}`;
    let share = this.shares.get(key);
    if (share) return share;
    const ws = this.workspace(m);
    const [j0, j1] = part(m, t, T);
    const colsOf = (a: Matrix) => new Matrix(a.rows, j1 - j0, a.data.subarray(j0 * a.rows, j1 * a.rows), 'col');
    const cols: Batch | null =
      j1 > j0
        ? {
            x: colsOf(ws.x),
            y: colsOf(ws.y),
            zs: ws.zs.map(colsOf),
            activations: ws.activations.map(colsOf),
            deltas: ws.deltas.map(colsOf),
          }
        : null;
    const rows = this.weights.map((w, l) => {
      const [i0, i1] = part(w.rows, t, T);
      const n = Math.max(i1 - i0, 1); // an empty share keeps 1×… views it never uses (gb is empty)
      const delta = ws.deltas[l];
      return {
        delta: Matrix.view(delta.data.subarray(Math.min(i0, delta.rows - 1)), n, m, 1, delta.rows),
        nablaW: new Matrix(n, w.cols, this.nablaW[l].data.subarray(i0 * w.cols, (i0 + n) * w.cols)),
        nablaB: new Matrix(n, 1, this.nablaB[l].data.subarray(i0, i0 + n)),
        w: w.data.subarray(i0 * w.cols, i1 * w.cols),
        b: this.biases[l].data.subarray(i0, i1),
        gw: this.nablaW[l].data.subarray(i0 * w.cols, i1 * w.cols),
        gb: this.nablaB[l].data.subarray(i0, i1),
      };
    });
    share = { cols, j0, rows };
    this.shares.set(key, share);
    return share;
  }

  /** The byte offsets of this network's arrays (and of its workspace for m) in their shared buffer. */
  sharedLayout(ms: number[]): SharedLayout {
    return {
      sizes: [...this.sizes],
      cost: this.cost.name,
      params: this.params.byteOffset,
      grads: this.grads.byteOffset,
      velocity: this.rule.momentum ? (this.velocity ?? (this.velocity = this.backend.alloc(this.params.length))).byteOffset : null,
      activation: this.activation.name,
      rule: { ...this.rule },
      workspaces: ms.map((m) => {
        const ws = this.workspace(m);
        return {
          m,
          x: ws.x.data.byteOffset,
          y: ws.y.data.byteOffset,
          zs: ws.zs.map((z) => z.data.byteOffset),
          activations: ws.activations.slice(1).map((a) => a.data.byteOffset),
          deltas: ws.deltas.map((d) => d.data.byteOffset),
        };
      }),
    };
  }

  /** The network a worker thread sees: views at `layout`'s offsets into the shared `buffer`. */
  static fromShared(layout: SharedLayout, buffer: ArrayBufferLike, cost: Cost, backend: Backend): Network {
    const count = checkSizes(layout.sizes);
    const net = new Network(layout.sizes, {
      cost,
      backend,
      activation: activations[layout.activation],
      shared: {
        params: new Float32Array(buffer, layout.params, count),
        grads: new Float32Array(buffer, layout.grads, count),
        velocity: layout.velocity !== null ? new Float32Array(buffer, layout.velocity, count) : null,
      },
    });
    net.rule = { ...layout.rule };
    const at = (offset: number, rows: number, m: number) => new Matrix(rows, m, new Float32Array(buffer, offset, rows * m), 'col');
    for (const w of layout.workspaces) {
      const s = layout.sizes;
      const x = at(w.x, s[0], w.m);
      net.workspaces.set(w.m, {
        m: w.m,
        x,
        y: at(w.y, s[s.length - 1], w.m),
        zs: w.zs.map((o, l) => at(o, s[l + 1], w.m)),
        activations: [x, ...w.activations.map((o, l) => at(o, s[l + 1], w.m))],
        deltas: w.deltas.map((o, l) => at(o, s[l + 1], w.m)),
        predictions: new Uint8Array(w.m),
      });
    }
    return net;
  }

  private checkInput(op: string, x: Matrix): void {
    if (x.rows !== this.sizes[0]) {
      throw new RangeError(`${op}: x must have ${this.sizes[0]} rows (one per input neuron); got ${x.shape}`);
    }
  }
}

const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** 12 → "¹²": the book's layer superscripts. */
export function sup(n: number): string {
  return String(n).replace(/\d/g, (d) => SUPERSCRIPTS[Number(d)]);
}
