// nn/layers/layer.ts: what every layer is (the Layer interface), which samples
// of a mini-batch a pass works on (Cols), and the arrays a layer keeps per
// batch size (Buffers). A mini-batch of m samples is stored one sample after
// the other (each sample's C×H×W values contiguous, i.e. n × m column-major
// for a dense layer), so some samples of a batch are again such a batch: a
// view, no copy. A layer knows its forward and backward passes and where its
// parameters are; nothing about threads or update rules.

import { Matrix } from '../../tensor/matrix.js';
import type { Rng } from '../../rng.js';
import type { Backend } from '../../backend.js';
import type { Shape } from '../layer-spec.js';
import type { Activation } from '../activations.js';

/** Receives one line per tensor when shapes are being traced (--debug-shapes). */
export type ShapeTrace = (line: string) => void;

/**
 * The trace hook (the backprop explorer, src/explain/): hears a layer's
 * weighted input z before its activation, and its error δ = ∂C/∂z, as they are
 * made. The array is the layer's own and is overwritten next: copy what you keep.
 */
export type LayerProbe = (what: 'z' | 'delta', values: Float32Array) => void;

/** The stack's trace hook (LayerStack.setProbe): layer i's z and output a on the way up; on the way down the error ∂C/∂a its output gets (dy), and its δ. */
export type StackProbe = (layer: number, what: 'z' | 'a' | 'dy' | 'delta', values: Float32Array) => void;

/** [from, to) of n items for part t of T: as even as can be, in order. */
export function part(n: number, t: number, T: number): [number, number] {
  return [Math.floor((t * n) / T), Math.floor(((t + 1) * n) / T)];
}

const SUPERSCRIPTS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** 12 → "¹²": the book's layer superscripts. */
export function sup(n: number): string {
  return String(n).replace(/\d/g, (d) => SUPERSCRIPTS[Number(d)]);
}

/** Values per sample of a shape: C·H·W. */
export const size = (s: Shape) => s.c * s.h * s.w;

/** An activation's name in traces: σ for the sigmoid. */
export const fName = (f: Activation | 'softmax') => (typeof f === 'string' ? f : f.name === 'sigmoid' ? 'σ' : f.name);

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

/**
 * One array of a layer's parameters, rows × cols, in the order they sit in
 * the layer's part of the parameter buffer. `decay`: L2 weight decay applies
 * to it (weights; not biases, nor batch norm's γ and β).
 */
export interface ParamGroup {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly decay: boolean;
}

/** One array of a layer's state that is not trained by gradients (batch norm's running statistics). */
export interface StateGroup {
  readonly name: string;
  readonly length: number;
}

export interface Layer {
  readonly describe: string;
  readonly input: Shape;
  readonly output: Shape;
  /** Its parameters (model files: the first group is "weights", the second "biases"); none for pool and dropout. */
  readonly groups: readonly ParamGroup[];
  readonly paramCount: number;
  /** Its non-trained state, saved in the model file; usually none. */
  readonly stateGroups: readonly StateGroup[];
  /** Its name in shape traces: conv1, pool1, fc1, …; set by LayerStack. */
  name: string;
  /** The trace hook (null while training): layers with a weighted input call it with z and δ. */
  probe: LayerProbe | null;
  /** Its arrays for each batch size. */
  readonly buf: Buffers;
  /** --debug-shapes: the forward step and the backward step for m samples (lines; '' for none); `needDx`: whether it passes an error down. */
  traceForward(m: number, train: boolean): string;
  traceBackward(m: number, needDx: boolean): string;
  /** Points the layer's parameters, gradients and state at its parts of the network's buffers. */
  bind(params: Float32Array, grads: Float32Array, state: Float32Array): void;
  /** Sets its state to where training starts (batch norm: running μ = 0, σ² = 1); for a layer with state. */
  resetState?(): void;
  /** Draws the initial parameters (weights N(0, 1/fan-in), as network3.py's scale, biases N(0, 1)). */
  init(rng: Rng): void;
  /** The outputs for the samples b (an array the layer owns, overwritten by the next call for the same samples). */
  forward(x: Float32Array, b: Cols, train: boolean, rng: Rng | null): Float32Array;
  /**
   * Given ∂C/∂output, fills the gradients (unless `grads` is false) and returns
   * ∂C/∂input (an array the layer owns), or null when `needDx` is false.
   */
  backward(x: Float32Array, dy: Float32Array, b: Cols, grads: boolean, needDx: boolean): Float32Array | null;
}

/** Sum of a list of groups' sizes. */
export function countOf(groups: readonly (ParamGroup | StateGroup)[]): number {
  let n = 0;
  for (const g of groups) n += 'length' in g ? g.length : g.rows * g.cols;
  return n;
}

/** A layer's arrays per mini-batch size, made on first use in the stack's backend; a share of a batch gets views. */
export class Buffers {
  private readonly byM = new Map<number, Map<string, Float32Array>>();
  private readonly shares = new Map<Cols, Map<string, Float32Array>>();
  private readonly views = new Map<Float32Array, Matrix>();

  constructor(private readonly backend: Backend) {}

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

/** Weights N(0, 1/fan-in) and biases N(0, 1), weights first: the default start of a dense or convolutional layer. */
export function initWeights(w: Float32Array, b: Float32Array, fanIn: number, rng: Rng): void {
  const scale = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < w.length; i++) w[i] = rng.gaussian() * scale;
  for (let i = 0; i < b.length; i++) b[i] = rng.gaussian();
}
