// nn/network.ts: the feedforward network of the book's chapters 1–3
// (network.py, network2.py), in matrix form: a whole mini-batch flows through
// at once, one sample per column. It is a LayerStack (nn/stack.ts) of Dense
// layers, made from the book's list of sizes: feedforward, backpropagation
// (BP1–BP4, labelled in the Dense layer and in --debug-shapes), the update
// and the threads' split are the stack's, written once for every network.
// What this file adds is the book's way of saying it: sizes, weights[l],
// biases[l], the cost deciding the output layer, network2.py's
// initialisation, and dropout as an option on the hidden layers.
//
// Indexing: the book numbers layers from 1 (the input layer) to L, so the
// first weight matrix is w². In the code, weights[0] is w², weights[1] is w³,
// and so on: weights[l] is the book's w^(l+2). Comments use the book's names.
//
// All weights and biases live in one Float32Array (`params`), the gradients in
// another of the same layout (`grads`); each W and b is a Matrix view into it.
// Workspaces are allocated once per mini-batch size, so a training step
// allocates nothing.

import { preview } from './preview.js';
import type { Matrix } from '../tensor/matrix.js';
import { sigmoid, type Activation } from './activations.js';
import { QuadraticCost, type Cost } from './costs.js';
import type { Rng } from '../rng.js';
import type { Backend } from '../backend.js';
import { Dense, Dropout, type ShapeTrace } from './layers/index.js';
import { LayerStack, type StackOptions } from './stack.js';
import type { LayerSpec } from './layer-spec.js';

export { part, sup, type ShapeTrace } from './layers/index.js';

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
  shared?: StackOptions['shared'];
}

export { MAX_LAYER_SIZE, MAX_PARAMETERS } from './layer-spec.js';
import { MAX_LAYER_SIZE, MAX_PARAMETERS } from './layer-spec.js';

/** Checks `sizes` (e.g. [784, 30, 10]) and returns the parameter count. */
export function checkSizes(sizes: readonly number[]): number {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new RangeError(`sizes must list at least an input and an output layer, e.g. [784, 30, 10]; got ${preview(sizes)}`);
  }
  let count = 0;
  for (let l = 0; l < sizes.length; l++) {
    const s = sizes[l];
    if (!Number.isInteger(s) || s < 1 || s > MAX_LAYER_SIZE) {
      throw new RangeError(`sizes[${l}] must be an integer from 1 to ${MAX_LAYER_SIZE}; got ${preview(s)}`);
    }
    if (l > 0) count += sizes[l] * sizes[l - 1] + sizes[l];
  }
  if (count > MAX_PARAMETERS) {
    throw new RangeError(`sizes ${sizes.join('-')} need ${count} parameters, more than the ${MAX_PARAMETERS} allowed`);
  }
  return count;
}

/** The layers of a network of `sizes`: each hidden layer f(w·a + b) with a dropout layer after it (off until asked for), then the output layer the cost needs. */
function denseLayers(sizes: readonly number[], cost: Cost, activation: Activation): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let l = 1; l + 1 < sizes.length; l++) {
    layers.push({ kind: 'fc', units: sizes[l], activation: activation.name }, { kind: 'dropout', p: 0 });
  }
  layers.push({ kind: cost.output, units: sizes[sizes.length - 1] });
  return layers;
}

export class Network extends LayerStack {
  /** Neurons per layer, input first: [784, 30, 10] for the chapter-1 net. */
  readonly sizes: readonly number[];
  readonly numLayers: number;
  /** weights[l]: sizes[l+1] × sizes[l], so a layer computes w·a + b (the book's w^(l+2)); views into params. */
  readonly weights: Matrix[];
  /** biases[l]: sizes[l+1] × 1 */
  readonly biases: Matrix[];
  /** nablaW[l], nablaB[l]: ∂C/∂w and ∂C/∂b of the last mini-batch, summed over its samples; views into grads. */
  readonly nablaW: Matrix[];
  readonly nablaB: Matrix[];
  /** The hidden layers' activation; the output layer's follows from the cost. */
  readonly activation: Activation;
  private readonly dropouts: Dropout[];

  /**
   * A network with the given parameters (copied into the backend's memory) or
   * zeros. See Network.random for the book's initialisation.
   */
  constructor(sizes: readonly number[], options: NetworkOptions = {}) {
    const count = checkSizes(sizes);
    if (options.params && options.params.length !== count) {
      throw new RangeError(`Network: sizes ${sizes.join('-')} need ${count} parameters, got ${options.params.length}`);
    }
    const cost = options.cost ?? QuadraticCost;
    const activation = options.activation ?? sigmoid;
    super(denseLayers(sizes, cost, activation), { c: sizes[0], h: 1, w: 1 }, options.backend, { shared: options.shared, cost, book: true });
    if (options.params) this.params.set(options.params);
    this.sizes = [...sizes];
    this.numLayers = sizes.length;
    this.activation = activation;
    const dense = this.layers.filter((l): l is Dense => l instanceof Dense);
    this.weights = dense.map((d) => d.w);
    this.biases = dense.map((d) => d.b);
    this.nablaW = dense.map((d) => d.gw);
    this.nablaB = dense.map((d) => d.gb);
    this.dropouts = this.layers.filter((l): l is Dropout => l instanceof Dropout);
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

  /**
   * Dropout (chapter 3): while training, each hidden unit is dropped with
   * probability p and the kept ones scaled by 1/(1 − p) (inverted dropout),
   * so nothing changes at evaluation, where every unit takes part.
   */
  get dropout(): number {
    return this.dropouts[0]?.p ?? 0;
  }

  set dropout(p: number) {
    for (const d of this.dropouts) d.p = p;
  }

  /**
   * aᴸ for the columns of x (sizes[0] × m): a view into the workspace,
   * overwritten by the next call with the same m.
   */
  feedforward(x: Matrix, trace?: ShapeTrace): Matrix {
    this.checkInput('feedforward', x);
    this.forward(this.columns(x, this.input(x.cols)), x.cols, false, null, trace);
    return this.outputMatrix(x.cols);
  }

  /** aᴸ as training sees it: with dropout on the hidden layers, masks drawn from dropoutRng (for tests and curious readers). */
  trainingForward(x: Matrix): Matrix {
    this.checkInput('trainingForward', x);
    this.forward(this.columns(x, this.input(x.cols)), x.cols, true, this.dropoutRng);
    return this.outputMatrix(x.cols);
  }

  /** What rebuilds it in a worker thread (nn/parallel/layout.ts). */
  override rebuild(): { sizes: number[]; cost: Cost['name']; activation: Activation['name']; dropout: number } {
    return { sizes: [...this.sizes], cost: this.cost.name, activation: this.activation.name, dropout: this.dropout };
  }
}
